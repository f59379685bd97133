import { AwsError } from '../http/aws-error.js';

/**
 * Input checks for ECS requests. Type mismatches are what AWS's JSON front end reports as
 * SerializationException; semantic problems are ECS's InvalidParameterException / ClientException.
 */

export type Input = Record<string, unknown>;

export function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterException', message);
}

export function clientError(message: string): AwsError {
  return new AwsError('ClientException', message);
}

function serialization(field: string, expected: string): AwsError {
  return new AwsError(
    'SerializationException',
    `Unexpected value for field '${field}': expected ${expected}`,
  );
}

export function asInput(input: unknown): Input {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input))
    throw new AwsError('SerializationException', 'Request body must be a JSON object');
  return input as Input;
}

export function optString(input: Input, field: string): string | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw serialization(field, 'a string');
  return v;
}

export function reqString(input: Input, field: string, label = field): string {
  const v = optString(input, field);
  if (v === undefined || v.trim() === '') throw invalidParameter(`${capitalise(label)} cannot be empty.`);
  return v;
}

export function optNumber(input: Input, field: string): number | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw serialization(field, 'a number');
  return v;
}

export function optInteger(input: Input, field: string): number | undefined {
  const v = optNumber(input, field);
  if (v !== undefined && !Number.isInteger(v)) throw serialization(field, 'an integer');
  return v;
}

export function optBoolean(input: Input, field: string): boolean | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw serialization(field, 'a boolean');
  return v;
}

export function optStringList(input: Input, field: string): string[] | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw serialization(field, 'a list of strings');
  return v as string[];
}

export function reqStringList(input: Input, field: string, label = field): string[] {
  const v = optStringList(input, field);
  if (!v || v.length === 0) throw invalidParameter(`${capitalise(label)} cannot be empty.`);
  return v;
}

export function optObjectList(input: Input, field: string): Input[] | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x)))
    throw serialization(field, 'a list of objects');
  return v as Input[];
}

export function optObject(input: Input, field: string): Input | undefined {
  const v = input[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw serialization(field, 'an object');
  return v as Input;
}

/** maxResults 1..100 (ECS lists); undefined → 100. */
export function pageSize(input: Input, max = 100): number {
  const n = optInteger(input, 'maxResults');
  if (n === undefined) return max;
  if (n < 1 || n > max) throw invalidParameter(`maxResults must be between 1 and ${max}.`);
  return n;
}

/** nextToken is opaque to clients; ours wraps an index key. */
export function decodeToken(input: Input, kind: string): number {
  const token = optString(input, 'nextToken');
  if (token === undefined || token === '') return 0;
  const m = /^([a-z]+)\.(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  if (!m || m[1] !== kind) throw invalidParameter('Invalid nextToken.');
  return Number(m[2]);
}

export function encodeToken(kind: string, key: number | undefined): string | undefined {
  return key === undefined ? undefined : Buffer.from(`${kind}.${key}`).toString('base64url');
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

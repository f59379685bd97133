import { sqsErrors } from './errors.js';
import type { MessageAttributeValue } from './md5.js';

/**
 * Reading operation inputs. Both protocols arrive as the JSON protocol's PascalCase shape; the
 * query protocol's values are all strings, so numbers are accepted in either form.
 */
export type Input = Record<string, unknown>;

export function requiredString(input: Input, name: string): string {
  const value = input[name];
  if (value === undefined || value === null || value === '') throw sqsErrors.missingParameter(name);
  if (typeof value !== 'string')
    throw sqsErrors.invalidParameterValue(`Value for parameter ${name} must be a string.`);
  return value;
}

export function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw sqsErrors.invalidParameterValue(`Value for parameter ${name} must be a string.`);
  return value;
}

export function optionalInt(input: Input, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw sqsErrors.invalidParameterValue(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  return n;
}

export function requiredInt(input: Input, name: string, min: number, max: number): number {
  const n = optionalInt(input, name, min, max);
  if (n === undefined) throw sqsErrors.missingParameter(name);
  return n;
}

export function stringList(input: Input, name: string): string[] {
  const value = input[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    throw sqsErrors.invalidParameterValue(`Value for parameter ${name} must be a list of strings.`);
  return value as string[];
}

export function stringMap(input: Input, name: string): Record<string, string> {
  const value = input[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw sqsErrors.invalidParameterValue(`Value for parameter ${name} must be a map of strings.`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw sqsErrors.invalidParameterValue(`Value for ${name}.${k} must be a string.`);
    out[k] = String(v);
  }
  return out;
}

const BATCH_ID = /^[A-Za-z0-9_-]{1,80}$/;

/** Batch entries with SQS's checks: not empty, at most 10, valid and distinct ids. */
export function batchEntries(input: Input): Input[] {
  const value = input.Entries;
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0))
    throw sqsErrors.emptyBatchRequest();
  if (!Array.isArray(value) || value.some((e) => typeof e !== 'object' || e === null || Array.isArray(e)))
    throw sqsErrors.invalidParameterValue('Value for parameter Entries must be a list of entries.');
  if (value.length > 10) throw sqsErrors.tooManyEntriesInBatchRequest(value.length);
  const seen = new Set<string>();
  for (const entry of value as Input[]) {
    const id = entry.Id;
    if (typeof id !== 'string' || !BATCH_ID.test(id)) throw sqsErrors.invalidBatchEntryId(String(id ?? ''));
    if (seen.has(id)) throw sqsErrors.batchEntryIdsNotDistinct(id);
    seen.add(id);
  }
  return value as Input[];
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\.[^\s]{1,200})?$/;

/**
 * Message attributes in the JSON shape (BinaryValue as base64 text or bytes), validated as SQS
 * does: at most 10, names of letters, digits, `_-.` without `..` or a leading/trailing dot and
 * not reserved (`AWS.`, `Amazon.`), a String/Number/Binary data type and a matching value.
 */
export function messageAttributes(
  value: unknown,
  parameter: string,
  options: { system?: boolean } = {},
): Record<string, MessageAttributeValue> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw sqsErrors.invalidParameterValue(`Value for parameter ${parameter} must be a map.`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  if (entries.length > 10)
    throw sqsErrors.invalidParameterValue(
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [10].`,
    );
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, raw] of entries) {
    if (options.system) {
      if (name !== 'AWSTraceHeader')
        throw sqsErrors.invalidParameterValue(
          `Message system attribute name '${name}' is invalid; the only one you can send is AWSTraceHeader.`,
        );
    } else if (
      !ATTRIBUTE_NAME.test(name) ||
      name.includes('..') ||
      name.startsWith('.') ||
      name.endsWith('.') ||
      /^(aws\.|amazon\.)/i.test(name)
    ) {
      throw sqsErrors.invalidParameterValue(
        `Message attribute name '${name}' is invalid: use up to 256 letters, digits, '_', '-' or '.', no '..', no leading or trailing '.', and no AWS. or Amazon. prefix.`,
      );
    }
    const attr = (raw ?? {}) as Record<string, unknown>;
    const dataType = attr.DataType;
    if (typeof dataType !== 'string' || dataType === '')
      throw sqsErrors.invalidParameterValue(
        `The message attribute '${name}' must contain a non-empty attribute type.`,
      );
    if (!DATA_TYPE.test(dataType))
      throw sqsErrors.invalidParameterValue(
        `The type of message attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    if (dataType.startsWith('Binary')) {
      const bin = attr.BinaryValue;
      const bytes =
        typeof bin === 'string'
          ? Buffer.from(bin, 'base64')
          : bin instanceof Uint8Array
            ? Buffer.from(bin)
            : undefined;
      if (!bytes || bytes.length === 0)
        throw sqsErrors.invalidParameterValue(
          `The message attribute '${name}' must contain a non-empty message attribute value.`,
        );
      out[name] = { DataType: dataType, BinaryValue: bytes };
    } else {
      const text = attr.StringValue;
      if (typeof text !== 'string' || text === '')
        throw sqsErrors.invalidParameterValue(
          `The message attribute '${name}' must contain a non-empty message attribute value.`,
        );
      if (dataType.startsWith('Number') && !/^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(text.trim()))
        throw sqsErrors.invalidParameterValue(
          `Can't cast the value of message (user) attribute '${name}' to a number.`,
        );
      out[name] = { DataType: dataType, StringValue: text };
    }
  }
  return out;
}

/** Bytes a message counts against MaximumMessageSize: body plus every attribute's name, type and value. */
export function messageSize(
  body: string,
  attributes: Record<string, MessageAttributeValue> | undefined,
): number {
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, attr] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength(attr.DataType);
    size += attr.BinaryValue ? attr.BinaryValue.length : Buffer.byteLength(attr.StringValue ?? '');
  }
  return size;
}

// Characters SQS accepts in a body: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
// eslint-disable-next-line no-control-regex
const INVALID_BODY_CHAR = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

// Most bodies are printable ASCII (JSON); this non-Unicode test is much cheaper than the full one.
// eslint-disable-next-line no-control-regex
const NOT_PLAIN_ASCII = /[^\x09\x0A\x0D\x20-\x7E]/;

export function hasInvalidCharacters(body: string): boolean {
  return NOT_PLAIN_ASCII.test(body) && INVALID_BODY_CHAR.test(body);
}

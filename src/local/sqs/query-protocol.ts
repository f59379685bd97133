import { AwsError } from '../http/aws-error.js';
import type { EmulatorRequest, EmulatorResponse } from '../http/types.js';
import { sqsErrors } from './errors.js';
import { SQS_OPERATIONS } from './operations.js';
import type { SqsEmulator } from './sqs-emulator.js';

const XMLNS = 'http://queue.amazonaws.com/doc/2012-11-05/';
const VERSION = '2012-11-05';

/**
 * The SQS query protocol (form-encoded `Action=…&Version=2012-11-05`, XML replies), as Debian's
 * aws-cli v2.9 and older SDKs speak it. Requests are turned into the JSON protocol's input
 * shape, run through the same operations, and the outputs rendered the way SQS writes its XML.
 */
export function queryParams(request: EmulatorRequest): URLSearchParams | undefined {
  const params = new URLSearchParams(request.query);
  const type = request.headers['content-type'] ?? '';
  if (request.method === 'POST' && type.includes('application/x-www-form-urlencoded'))
    for (const [k, v] of new URLSearchParams(request.body.toString('utf8'))) params.append(k, v);
  const action = params.get('Action');
  if (!action) return undefined;
  const version = params.get('Version');
  if (version !== null && version !== VERSION) return undefined;
  if (version === null && !SQS_OPERATIONS.has(action)) return undefined;
  return params;
}

export async function handleSqsQuery(
  sqs: SqsEmulator,
  request: EmulatorRequest,
  params: URLSearchParams,
  signal: (() => AbortSignal | undefined) | undefined,
  requestId: () => string,
): Promise<EmulatorResponse> {
  const action = params.get('Action') ?? '';
  try {
    if (!SQS_OPERATIONS.has(action)) throw sqsErrors.invalidAction(action);
    const input = queryToInput(params);
    if (input.QueueUrl === undefined && /^\/[^/]+\/[^/]+\/?$/.test(request.path))
      input.QueueUrl = `http://${request.host}${request.path}`;
    const output = await sqs.call(action, input, { host: request.host, ...(signal ? { signal } : {}) });
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: renderResponse(action, output, requestId()),
    };
  } catch (err) {
    if (err instanceof AwsError) return queryErrorResponse(err, requestId());
    throw err;
  }
}

export function queryErrorResponse(err: AwsError, requestId: string): EmulatorResponse {
  const body =
    `<?xml version="1.0"?><ErrorResponse xmlns="${XMLNS}"><Error><Type>${err.fault}</Type>` +
    `<Code>${escapeXml(err.queryCode ?? err.code)}</Code><Message>${escapeXml(err.message)}</Message><Detail/></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: err.status, headers: { 'content-type': 'text/xml' }, body };
}

type Tree = { [key: string]: Tree | string };

/** `A.1.B=x&A.2.B=y` → `{ A: [{ B: 'x' }, { B: 'y' }] }`, then renamed to the JSON member names. */
export function queryToInput(params: URLSearchParams): Record<string, unknown> {
  const root: Tree = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    let node: Tree = root;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i]!;
      const next = node[part];
      if (typeof next === 'object') node = next;
      else node = node[part] = {};
    }
    node[parts[parts.length - 1]!] = value;
  }
  return convert(root) as Record<string, unknown>;
}

const LIST_RENAMES: Record<string, string> = {
  AttributeName: 'AttributeNames',
  MessageSystemAttributeName: 'MessageSystemAttributeNames',
  MessageAttributeName: 'MessageAttributeNames',
  SendMessageBatchRequestEntry: 'Entries',
  DeleteMessageBatchRequestEntry: 'Entries',
  ChangeMessageVisibilityBatchRequestEntry: 'Entries',
  TagKey: 'TagKeys',
};

function convert(tree: Tree | string): unknown {
  if (typeof tree === 'string') return tree;
  const keys = Object.keys(tree);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k)))
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => convert(tree[k]!));
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = convert(tree[key]!);
    if (key === 'Attribute') out.Attributes = pairs(value, 'Name', 'Value');
    else if (key === 'MessageAttribute') out.MessageAttributes = pairs(value, 'Name', 'Value');
    else if (key === 'MessageSystemAttribute') out.MessageSystemAttributes = pairs(value, 'Name', 'Value');
    else if (key === 'Tag') out.Tags = out.tags = pairs(value, 'Key', 'Value');
    else if (LIST_RENAMES[key]) out[LIST_RENAMES[key]] = Array.isArray(value) ? value : [value];
    else out[key] = value;
  }
  return out;
}

function pairs(value: unknown, keyName: string, valueName: string): Record<string, unknown> {
  const list = Array.isArray(value) ? value : [value];
  const out: Record<string, unknown> = {};
  for (const item of list) {
    if (typeof item !== 'object' || item === null) continue;
    const entry = item as Record<string, unknown>;
    const key = entry[keyName];
    if (typeof key === 'string') out[key] = entry[valueName];
  }
  return out;
}

function renderResponse(action: string, output: Record<string, unknown>, requestId: string): string {
  const result = renderMembers(action, output);
  const resultXml =
    result === '' && !HAS_RESULT.has(action) ? '' : `<${action}Result>${result}</${action}Result>`;
  return (
    `<?xml version="1.0"?><${action}Response xmlns="${XMLNS}">${resultXml}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

const HAS_RESULT = new Set([
  'CreateQueue',
  'GetQueueUrl',
  'ListQueues',
  'GetQueueAttributes',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibilityBatch',
  'ListQueueTags',
  'ListDeadLetterSourceQueues',
]);

const FLATTENED_LISTS: Record<string, string> = {
  QueueUrls: 'QueueUrl',
  queueUrls: 'QueueUrl',
  Messages: 'Message',
  Failed: 'BatchResultErrorEntry',
};

function renderMembers(action: string, value: Record<string, unknown>): string {
  let xml = '';
  for (const [key, member] of Object.entries(value)) {
    if (member === undefined || member === null) continue;
    if (Array.isArray(member)) {
      const element = key === 'Successful' ? `${action}ResultEntry` : (FLATTENED_LISTS[key] ?? key);
      for (const item of member)
        xml +=
          typeof item === 'object' && item !== null
            ? `<${element}>${renderMembers(action, item as Record<string, unknown>)}</${element}>`
            : `<${element}>${escapeXml(String(item))}</${element}>`;
    } else if (key === 'Attributes' && typeof member === 'object') {
      for (const [name, v] of Object.entries(member as Record<string, unknown>))
        xml += `<Attribute><Name>${escapeXml(name)}</Name><Value>${escapeXml(String(v))}</Value></Attribute>`;
    } else if (key === 'Tags' && typeof member === 'object') {
      for (const [name, v] of Object.entries(member as Record<string, unknown>))
        xml += `<Tag><Key>${escapeXml(name)}</Key><Value>${escapeXml(String(v))}</Value></Tag>`;
    } else if (key === 'MessageAttributes' && typeof member === 'object') {
      for (const [name, v] of Object.entries(member as Record<string, unknown>))
        xml += `<MessageAttribute><Name>${escapeXml(name)}</Name><Value>${renderMembers(action, v as Record<string, unknown>)}</Value></MessageAttribute>`;
    } else if (typeof member === 'object') {
      xml += `<${key}>${renderMembers(action, member as Record<string, unknown>)}</${key}>`;
    } else {
      xml += `<${key}>${escapeXml(String(member))}</${key}>`;
    }
  }
  return xml;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\r]/g, (c) =>
    c === '&'
      ? '&amp;'
      : c === '<'
        ? '&lt;'
        : c === '>'
          ? '&gt;'
          : c === '"'
            ? '&quot;'
            : c === "'"
              ? '&apos;'
              : '&#xD;',
  );
}

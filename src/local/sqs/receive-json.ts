import { messageExtras, type Received } from './operations.js';

const EMPTY = Buffer.from('{}');
const OPEN = Buffer.from('{"Messages":[');
const CLOSE = Buffer.from(']}');

/**
 * ReceiveMessage's JSON 1.0 answer, written straight into one Buffer: byte for byte what
 * `JSON.stringify` gives for the operation's output, without escaping each body again on every
 * receive. Each message brings its fields pre-serialised (message-json.ts); per receive only its
 * receipt handle (ASCII: queue token and base-36 numbers) and any requested attributes are written.
 */
export function receiveJson(received: Received): Buffer {
  const { messages, queue } = received;
  if (messages.length === 0) return EMPTY;
  const handles: string[] = [];
  const tails: Array<string | undefined> = [];
  let size = OPEN.length + CLOSE.length + messages.length - 1;
  for (const msg of messages) {
    const handle = queue.receiptHandle(msg);
    const extras = messageExtras(msg, received);
    // `,"Attributes":…}`: the extras' own JSON without its opening brace
    const tail = extras ? `,${JSON.stringify(extras).slice(1)}` : undefined;
    size += msg.json.json.length + handle.length + (tail === undefined ? 1 : Buffer.byteLength(tail));
    handles.push(handle);
    tails.push(tail);
  }
  const out = Buffer.allocUnsafeSlow(size);
  let at = OPEN.copy(out, 0);
  for (let i = 0; i < messages.length; i++) {
    const { json, handleAt } = messages[i]!.json;
    if (i > 0) out[at++] = 0x2c; // ','
    at += json.copy(out, at, 0, handleAt);
    at += out.write(handles[i]!, at, 'latin1');
    at += json.copy(out, at, handleAt);
    const tail = tails[i];
    if (tail === undefined)
      out[at++] = 0x7d; // '}'
    else at += out.write(tail, at, 'utf8');
  }
  CLOSE.copy(out, at);
  return out;
}

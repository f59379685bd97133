/**
 * A message's part of a ReceiveMessage JSON answer, made once when the message is stored (with
 * its MD5) so receives only copy bytes: `{"MessageId":…,"ReceiptHandle":"` + the receipt handle
 * (written per receive at `handleAt`) + `","MD5OfBody":"…","Body":…` — byte for byte what
 * JSON.stringify writes for those fields. Escaping a 2 KB body costs ~3 µs; a receive would
 * otherwise pay it every time. The body itself is read back from these bytes when asked (bodyOf):
 * rarely (the query protocol, snapshots, dead-letter moves), so a queue holds each body once.
 */
export interface MessageJson {
  json: Buffer;
  /** Where the receipt handle goes: json[0, handleAt) comes before it, json[handleAt…] after. */
  handleAt: number;
  /** Where the body's JSON string starts: json[bodyAt…] is `JSON.stringify(body)` (see bodyOf). */
  bodyAt: number;
}

const J = JSON.stringify;

export function messageJson(id: string, md5OfBody: string, body: string): MessageJson {
  const before = `{"MessageId":${J(id)},"ReceiptHandle":"`;
  const middle = `","MD5OfBody":${J(md5OfBody)},"Body":`;
  const escaped = J(body);
  // Written part by part into one buffer (from Buffer's shared pool when small: a view, not one
  // more ArrayBuffer per message for the GC; messages leave roughly in order, so their pools go
  // with them) after measuring each part, instead of joining the parts into one more string
  // (a copy of the whole ~3 KB text per message, as garbage) and encoding that.
  const handleAt = Buffer.byteLength(before);
  const bodyAt = handleAt + Buffer.byteLength(middle);
  const json = Buffer.allocUnsafe(bodyAt + Buffer.byteLength(escaped));
  json.write(before, 0);
  json.write(middle, handleAt);
  json.write(escaped, bodyAt);
  return { json, handleAt, bodyAt };
}

/**
 * The body back from a message's JSON (JSON.parse gives back exactly the string JSON.stringify
 * wrote, lone surrogates included), so the queue keeps one copy of each body, not two.
 */
export function bodyOf(message: MessageJson): string {
  return JSON.parse(message.json.toString('utf8', message.bodyAt)) as string;
}

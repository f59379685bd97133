/**
 * A message's part of a ReceiveMessage JSON answer, made once when the message is stored (with
 * its MD5) so receives only copy bytes: `{"MessageId":…,"ReceiptHandle":"` + the receipt handle
 * (written per receive at `handleAt`) + `","MD5OfBody":"…","Body":…` — byte for byte what
 * JSON.stringify writes for those fields. Escaping a 2 KB body costs ~3 µs; a receive would
 * otherwise pay it every time.
 */
export interface MessageJson {
  json: Buffer;
  /** Where the receipt handle goes: json[0, handleAt) comes before it, json[handleAt…] after. */
  handleAt: number;
}

export function messageJson(id: string, md5OfBody: string, body: string): MessageJson {
  const before = `{"MessageId":${JSON.stringify(id)},"ReceiptHandle":"`;
  const after = `","MD5OfBody":${JSON.stringify(md5OfBody)},"Body":${JSON.stringify(body)}`;
  const handleAt = Buffer.byteLength(before);
  // from Buffer's shared pool when small (a view, not one more ArrayBuffer per message for the
  // GC to track and free); messages leave roughly in order, so their pools go with them
  const json = Buffer.allocUnsafe(handleAt + Buffer.byteLength(after));
  json.write(before, 0, 'utf8');
  json.write(after, handleAt, 'utf8');
  return { json, handleAt };
}

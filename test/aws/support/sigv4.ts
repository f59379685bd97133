import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * SigV4 computed from scratch (AWS's published algorithm), for a POST to / as the lean transports
 * send: an independent check of what `@smithy/signature-v4` produced for them.
 */
export function sigV4(
  headers: IncomingHttpHeaders,
  body: string,
  scope: { secretAccessKey: string; region: string; service: string },
): string {
  const sha256 = (x: string) => createHash('sha256').update(x, 'utf8').digest('hex');
  const hmac = (key: string | Buffer, x: string) => createHmac('sha256', key).update(x, 'utf8').digest();
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(headers.authorization!)![1]!;
  const amzDate = headers['x-amz-date'] as string;
  const day = amzDate.slice(0, 8);
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((h) => `${h}:${String(headers[h]).trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonical = ['POST', '/', '', canonicalHeaders, signedHeaders, sha256(body)].join('\n');
  const credentialScope = `${day}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, credentialScope, sha256(canonical)].join('\n');
  let key = hmac(`AWS4${scope.secretAccessKey}`, day);
  for (const part of [scope.region, scope.service, 'aws4_request']) key = hmac(key, part);
  return hmac(key, stringToSign).toString('hex');
}

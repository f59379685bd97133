import assert from 'node:assert/strict';
import { ERROR_CODE_HEADER } from '../../src/core/api-error-wire.js';

type Headers = Record<string, string | string[] | number | undefined>;

/**
 * The code and message of an error answer (a fastify inject response or plain parts), after
 * checking it is written as Blox v0.3 wrote errors: text/plain, the message and a newline, and
 * (Blox's addition) the code in its header.
 */
export function errorOf(res: { headers: Headers; body: string }): { code: string; message: string } {
  assert.match(String(res.headers['content-type']), /^text\/plain; charset=utf-8$/i, 'error content-type');
  assert.ok(res.body.endsWith('\n'), `error body ends with a newline: ${JSON.stringify(res.body)}`);
  const code = res.headers[ERROR_CODE_HEADER];
  assert.equal(typeof code, 'string', `${ERROR_CODE_HEADER} header`);
  return { code: code as string, message: res.body.slice(0, -1) };
}

/** errorOf for a fetch Response. */
export async function errorOfResponse(res: Response): Promise<{ code: string; message: string }> {
  return errorOf({ headers: Object.fromEntries(res.headers), body: await res.text() });
}

import type { ServerResponse } from 'node:http';
import type { ListBody } from './serialize.js';

/** Size of the Buffers a large list is written in. */
export const LIST_CHUNK_BYTES = 64 * 1024;
/** Free chunk Buffers kept for reuse (4 MiB): enough for many concurrent large lists. */
const POOL_MAX = 64;
const pool: Buffer[] = [];

const take = () => pool.pop() ?? Buffer.allocUnsafeSlow(LIST_CHUNK_BYTES);
const give = (buf: Buffer) => {
  if (pool.length < POOL_MAX) pool.push(buf);
};

/**
 * Writes a list body (status 200, `headers` plus its Content-Length) to `res` in chunks of
 * LIST_CHUNK_BYTES, following the socket's back-pressure. Each chunk is copied into a pooled
 * Buffer that returns to the pool once the socket has written it: a 10,000-task list (~8–12 MB)
 * then allocates almost nothing, where fresh Buffers per chunk left megabytes of external memory
 * waiting for the next garbage collection (and in the RSS).
 */
export function writeListBody(
  res: ServerResponse,
  headers: Record<string, string | number | string[] | undefined>,
  body: ListBody,
): void {
  res.writeHead(200, { ...headers, 'content-length': body.byteLength });
  const read = body.reader();
  let stopped = false;
  const step = () => {
    while (!stopped) {
      const buf = take();
      const chunk = read(buf);
      if (chunk.length === 0) {
        give(buf);
        stopped = true;
        res.end();
        return;
      }
      // `chunk` is a view of `buf` (or, for one item larger than a chunk, a Buffer of its own)
      const ok = res.write(chunk, (err) => {
        if (!err && chunk.buffer === buf.buffer) give(buf);
      });
      if (chunk.buffer !== buf.buffer) give(buf);
      if (!ok) return void res.once('drain', step);
    }
  };
  res.once('close', () => {
    stopped = true;
    res.off('drain', step);
  });
  step();
}

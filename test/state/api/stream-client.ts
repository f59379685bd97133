import { request, type IncomingMessage, type ClientRequest } from 'node:http';
import { waitFor } from '../../support/env.js';

/** A raw HTTP stream reader for tests: collects lines (NDJSON) or the raw text (SSE). */
export interface TestStream {
  status: number;
  headers: IncomingMessage['headers'];
  /** Complete lines received so far (NDJSON). */
  lines: string[];
  text(): string;
  /** JSON of every complete line. */
  json(): Array<Record<string, unknown>>;
  waitForLines(n: number, timeoutMs?: number): Promise<void>;
  ended: boolean;
  /** Pause reading (the socket backs up). */
  pause(): void;
  resume(): void;
  close(): void;
}

export function openStream(url: string, headers: Record<string, string> = {}): Promise<TestStream> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest | undefined = undefined;
    req = request(url, { headers }, (res) => {
      let buffer = '';
      let raw = '';
      const s: TestStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        lines: [],
        ended: false,
        text: () => raw,
        json: () => s.lines.map((l) => JSON.parse(l) as Record<string, unknown>),
        waitForLines: async (n, timeoutMs = 5000) => {
          await waitFor(`${n} stream lines (have ${s.lines.length})`, () => s.lines.length >= n, {
            timeoutMs,
            intervalMs: 5,
          });
        },
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => req!.destroy(),
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let i: number;
        while ((i = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, i);
          buffer = buffer.slice(i + 1);
          if (line !== '') s.lines.push(line);
        }
      });
      res.on('end', () => (s.ended = true));
      res.on('error', () => (s.ended = true));
      resolve(s);
    });
    req.on('error', reject);
    req.end();
  });
}

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/**
 * A loopback HTTP server standing in for an AWS JSON endpoint whose answers a test scripts: it
 * records every request and answers the n-th with `answer(n)` (`undefined` = never answer: a hung
 * server that keeps the connection open and silent; `'close'` = close the connection unanswered).
 */
export interface ScriptedServer {
  endpoint: string;
  requests: Array<{ headers: IncomingHttpHeaders; body: string }>;
  answer: (
    n: number,
  ) => { status: number; headers?: Record<string, string>; body: string } | 'close' | undefined;
  close(): Promise<void>;
}

/** Starts one on 127.0.0.1 (a free port), answering `{}` with `contentType` until told otherwise. */
export async function scriptedServer(contentType: string): Promise<ScriptedServer> {
  const fake: ScriptedServer = {
    endpoint: '',
    requests: [],
    answer: () => ({ status: 200, body: '{}' }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      fake.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const a = fake.answer(fake.requests.length);
      if (!a) return;
      if (a === 'close') return void req.socket.destroy();
      res.writeHead(a.status, { 'content-type': contentType, ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return fake;
}

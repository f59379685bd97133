import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorRequest, EmulatorResponse, ServiceHandler } from './types.js';

/** Largest request body accepted: SQS allows 1 MiB messages, batches of 10 plus JSON overhead. */
export const MAX_REQUEST_BYTES = 12 * 1024 * 1024;

export interface EmulatorHttpServer {
  readonly server: Server;
  listen(port: number, host?: string): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

/**
 * A plain node:http server that hands each request to the handlers in order; the first that
 * answers wins. Nothing a client sends can crash it: handler exceptions become a 500 in AWS's
 * JSON error shape, an oversized body a 413.
 */
export function createEmulatorHttpServer(handlers: ServiceHandler[]): EmulatorHttpServer {
  const server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let response: EmulatorResponse;
    try {
      const body = await readBody(req);
      if (body === undefined) {
        response = {
          status: 413,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            __type: 'RequestEntityTooLarge',
            message: `request body exceeds ${MAX_REQUEST_BYTES} bytes`,
          }),
        };
      } else {
        // AWS SDKs always POST to "/": skip URL parsing for it (same path and empty query)
        const rawUrl = req.url ?? '/';
        const url = rawUrl === '/' ? undefined : new URL(rawUrl, 'http://localhost');
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers))
          headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
        let disconnect: AbortController | undefined;
        const request: EmulatorRequest = {
          method: req.method ?? 'GET',
          path: url ? url.pathname : '/',
          query: url ? url.searchParams : new URLSearchParams(),
          headers,
          body,
          host: headers.host ?? 'localhost',
          get signal() {
            if (!disconnect) {
              const controller = (disconnect = new AbortController());
              if (res.destroyed) controller.abort();
              else
                res.once('close', () => {
                  if (!res.writableFinished) controller.abort();
                });
            }
            return disconnect.signal;
          },
        };
        response = (await dispatch(request)) ?? notFound(request);
      }
    } catch (err) {
      response = {
        status: 500,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailure' },
        body: JSON.stringify({
          __type: 'InternalFailure',
          message: err instanceof Error ? err.message : String(err),
        }),
      };
    }
    if (res.destroyed) return;
    const payload = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
    res.writeHead(response.status, {
      ...response.headers,
      'content-length': String(payload.length),
      'x-amzn-requestid': requestId(),
    });
    res.end(payload);
  }

  async function dispatch(request: EmulatorRequest): Promise<EmulatorResponse | undefined> {
    for (const handler of handlers) {
      const response = await handler(request);
      if (response) return response;
    }
    return undefined;
  }

  return {
    server,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          resolve({ host: address.address, port: address.port });
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    // most bodies arrive in one chunk: hand that over without copying it
    req.on('end', () =>
      resolve(tooLarge ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

function notFound(request: EmulatorRequest): EmulatorResponse {
  const target = request.headers['x-amz-target'];
  const message = target
    ? `Unknown operation ${target}`
    : `no emulated service answers ${request.method} ${request.path}; send AWS JSON (X-Amz-Target) or SQS query requests with POST /`;
  return {
    status: target ? 400 : 404,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' },
    body: JSON.stringify({ __type: 'UnknownOperationException', message }),
  };
}

let counter = 0;
function requestId(): string {
  counter = (counter + 1) % 0xffffffff;
  return `${Date.now().toString(16)}-${counter.toString(16).padStart(8, '0')}-blox-local`;
}

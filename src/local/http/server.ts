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
  const server = createServer((req, res) => readBody(req, res, answer));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  /**
   * Answers one request whose body has arrived (undefined: too large). Without a promise or an
   * await unless a handler returns a promise (a long poll, an ECS call waiting for its turn):
   * most answers are synchronous, and each promise hop is work in a busy emulator.
   */
  function answer(req: IncomingMessage, res: ServerResponse, body: Buffer | undefined): void {
    if (body === undefined) return send(res, TOO_LARGE);
    let response: EmulatorResponse | Promise<EmulatorResponse | undefined> | undefined;
    let request: EmulatorRequest;
    try {
      request = new HttpRequest(req, res, body);
      response = dispatch(request, 0);
    } catch (err) {
      return send(res, internalError(err));
    }
    if (response instanceof Promise)
      response.then(
        (late) => send(res, late ?? notFound(request)),
        (err: unknown) => send(res, internalError(err)),
      );
    else send(res, response ?? notFound(request));
  }

  /** Handlers answer synchronously or with a promise; the first that answers wins. */
  function dispatch(
    request: EmulatorRequest,
    from: number,
  ): EmulatorResponse | Promise<EmulatorResponse | undefined> | undefined {
    for (let i = from; i < handlers.length; i++) {
      const answer = handlers[i]!(request);
      if (answer instanceof Promise) return answer.then((response) => response ?? dispatch(request, i + 1));
      if (answer) return answer;
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

const NO_QUERY = '';

/**
 * A request as the handlers see it. Node has already lower-cased the header names (and joined
 * repeated headers with ", "; only set-cookie stays a list, which no AWS client sends here), so
 * its header object is used as is; the query string and disconnect signal are made on first read.
 */
class HttpRequest implements EmulatorRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | undefined>;
  readonly host: string;
  private readonly search: string;
  private disconnect: AbortController | undefined;
  private params: URLSearchParams | undefined;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly body: Buffer,
  ) {
    this.method = req.method ?? 'GET';
    this.headers = req.headers as Record<string, string | undefined>;
    this.host = this.headers.host ?? 'localhost';
    // AWS SDKs always POST to "/": skip URL parsing for it (same path and empty query)
    const rawUrl = req.url ?? '/';
    if (rawUrl === '/') {
      this.path = '/';
      this.search = NO_QUERY;
    } else {
      const url = new URL(rawUrl, 'http://localhost');
      this.path = url.pathname;
      this.search = url.search;
    }
  }

  get query(): URLSearchParams {
    return (this.params ??= new URLSearchParams(this.search));
  }

  get signal(): AbortSignal {
    if (!this.disconnect) {
      const controller = (this.disconnect = new AbortController());
      const res = this.res;
      if (res.destroyed) controller.abort();
      else
        res.once('close', () => {
          if (!res.writableFinished) controller.abort();
        });
    }
    return this.disconnect.signal;
  }
}

/** Collects a request's body, then calls `done` (with undefined for a body over the limit). */
function readBody(
  req: IncomingMessage,
  res: ServerResponse,
  done: (req: IncomingMessage, res: ServerResponse, body: Buffer | undefined) => void,
): void {
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
    done(req, res, tooLarge ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)),
  );
  // a request that fails while its body arrives gets the 500 every handler failure gets
  req.on('error', (err) => send(res, internalError(err)));
}

function send(res: ServerResponse, response: EmulatorResponse): void {
  if (res.destroyed || res.headersSent) return;
  const payload = typeof response.body === 'string' ? Buffer.from(response.body) : response.body;
  // a flat [name, value, …] list: no merged header object per answer
  const headers: string[] = [];
  for (const name in response.headers) headers.push(name, response.headers[name]!);
  headers.push('content-length', String(payload.length), 'x-amzn-requestid', requestId());
  try {
    res.writeHead(response.status, headers);
    res.end(payload);
  } catch {
    // a header a handler made that node refuses: the client gets a closed connection, the
    // emulator goes on
    res.destroy();
  }
}

const TOO_LARGE: EmulatorResponse = {
  status: 413,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({
    __type: 'RequestEntityTooLarge',
    message: `request body exceeds ${MAX_REQUEST_BYTES} bytes`,
  }),
};

function internalError(err: unknown): EmulatorResponse {
  return {
    status: 500,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailure' },
    body: JSON.stringify({
      __type: 'InternalFailure',
      message: err instanceof Error ? err.message : String(err),
    }),
  };
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

// unique per process start and request, without formatting the clock for every answer
const ID_PREFIX = `${Date.now().toString(16)}-`;
let counter = 0;
function requestId(): string {
  counter = (counter + 1) % 0xffffffff;
  return `${ID_PREFIX}${counter.toString(16).padStart(8, '0')}-blox-local`;
}

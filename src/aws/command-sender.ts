import type { Handler, HttpHandlerOptions, MetadataBearer } from '@smithy/types';

/**
 * Sends SDK v3 commands through middleware handlers resolved once per command class, with fixed
 * handler options (e.g. an abort signal). `client.send(command, options)` resolves the whole
 * middleware stack on every call (a fifth of the SQS client's CPU per message in the ingest
 * profile); the client's own `cacheMiddleware` cache only applies to calls without options and is
 * dropped by any call with them. One sender per signal (e.g. one per poller) keeps both: the
 * cached handler and a way to abort that poller's long poll.
 *
 * The handler is the one `client.send` would build (`command.resolveMiddleware(stack, config,
 * options)`): same serialisation, signing, retries and checks. Middleware added to the client
 * after a sender's first call of a command class is not seen by that sender.
 */
export interface SendableClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each SDK client has its own stack and config types
  readonly middlewareStack: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly config: any;
}

export interface SendableCommand<Output extends MetadataBearer> {
  readonly input: object;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- matches every SDK command's signature
  resolveMiddleware(stack: any, config: any, options: HttpHandlerOptions | undefined): Handler<any, Output>;
}

export class CommandSender {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private readonly handlers = new Map<unknown, Handler<any, any>>();

  constructor(
    private readonly client: SendableClient,
    private readonly options?: HttpHandlerOptions,
  ) {}

  send<Output extends MetadataBearer>(command: SendableCommand<Output>): Promise<Output> {
    const key = command.constructor;
    let handler = this.handlers.get(key) as Handler<object, Output> | undefined;
    if (!handler) {
      handler = command.resolveMiddleware(this.client.middlewareStack, this.client.config, this.options);
      this.handlers.set(key, handler);
    }
    return handler(command as unknown as { input: object }).then((r) => r.output);
  }
}

/**
 * Entry of a child process started by child.ts: imports the module named on the command line,
 * calls its childMain(init) and serves its handlers over stdin/stdout JSON lines until stdin ends.
 */
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

type Handlers = Record<string, (args: unknown) => unknown>;

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// exit handlers (etcd's, temp dirs') run on a termination signal too
process.once('SIGTERM', () => process.exit(143));
process.once('SIGINT', () => process.exit(130));

const modulePath = process.argv[2]!;
const init: unknown = JSON.parse(process.env.BENCH_CHILD_INIT ?? 'null');
const mod = (await import(pathToFileURL(modulePath).href)) as { childMain(init: unknown): Promise<Handlers> };
const handlers = await mod.childMain(init);
const write = (line: string) => process.stdout.write(`${line}\n`);
write('@@ready');

let closing: Promise<void> | undefined;
const close = () =>
  (closing ??= (async () => {
    try {
      await handlers.close?.(undefined);
    } finally {
      process.exit(0);
    }
  })());

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const { id, command, args } = JSON.parse(line) as { id: number; command: string; args: unknown };
    const handler = handlers[command];
    void (async () => {
      try {
        if (!handler)
          throw new Error(`unknown command '${command}'; known: ${Object.keys(handlers).join(', ')}`);
        const result = await handler(args);
        write(`@@rpc ${JSON.stringify({ id, result: result ?? null })}`);
      } catch (err) {
        const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
        write(`@@rpc ${JSON.stringify({ id, error: message })}`);
      }
    })();
  })
  .on('close', () => void close());

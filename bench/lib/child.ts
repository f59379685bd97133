/**
 * Child processes for the suite: a module runs in its own Node process (tsx loader) and answers
 * commands over stdin/stdout JSON lines. Used for isolation (RSS, cold start, a server apart from
 * its load generator) and for bounded, always-cleaned-up scenario runs: a top-level child leads
 * its own process group, so a timeout kills it together with everything it started (etcd, servers).
 *
 * The module must export `childMain(init): Promise<Record<string, (args: any) => unknown>>`; a
 * handler named `close` (optional) runs before the child exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ChildHandle {
  readonly pid: number;
  /** Calls a handler of the child; rejects with the child's error, on exit, or after timeoutMs. */
  call<T = unknown>(command: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** Asks the child to close, then terminates it (and, for a group leader, its group). Idempotent. */
  stop(): Promise<void>;
  /** The last lines the child wrote to stderr (for error messages). */
  stderrTail(): string;
}

export interface ChildOptions {
  /** Lead a new process group, killed as a whole on stop/timeout (top-level scenario children). */
  ownGroup?: boolean;
  /** Bound on start-up (default 60 s). */
  startTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Forward the child's stderr to ours (default: only keep its tail). */
  verbose?: boolean;
  /** Extra node arguments (e.g. --expose-gc). */
  nodeArgs?: string[];
  /** Called with each figure the child reports as it is measured (lines `@@figure <json>`). */
  onFigure?: (figure: unknown) => void;
}

const ENTRY = new URL('./child-entry.ts', import.meta.url).pathname;
const leaders = new Set<number>();
process.on('exit', () => {
  for (const pid of leaders) killGroup(pid, 'SIGKILL');
});

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Node arguments for every bench child from BENCH_CHILD_ARGS (space-separated), for diagnosis:
 * `BENCH_CHILD_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"` profiles the emulator and scenario
 * children too (NODE_OPTIONS refuses --cpu-prof).
 */
function diagnosisArgs(): string[] {
  return (process.env.BENCH_CHILD_ARGS ?? '').split(' ').filter((a) => a !== '');
}

export async function startChild(
  modulePath: string,
  init: unknown,
  options: ChildOptions = {},
): Promise<ChildHandle> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--no-warnings', ...diagnosisArgs(), ...(options.nodeArgs ?? []), '--import', 'tsx', ENTRY, modulePath],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: options.ownGroup ?? false,
      env: { ...process.env, ...options.env, BENCH_CHILD_INIT: JSON.stringify(init ?? null) },
    },
  );
  const pid = child.pid!;
  if (options.ownGroup) leaders.add(pid);
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-3000);
    if (options.verbose) process.stderr.write(d);
  });
  let exited = false;
  let exitReason = '';
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      exitReason = `child ${modulePath} exited (code ${code}, signal ${signal})`;
      leaders.delete(pid);
      for (const p of pending.values()) p.reject(new Error(`${exitReason}; stderr: ${tail.slice(-1500)}`));
      pending.clear();
      resolve();
    }),
  );
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let nextId = 1;
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === '@@ready') return readyResolve();
    if (line.startsWith('@@figure ')) return options.onFigure?.(JSON.parse(line.slice(9)));
    if (!line.startsWith('@@rpc ')) return;
    const msg = JSON.parse(line.slice(6)) as { id: number; result?: unknown; error?: string };
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error !== undefined) p.reject(new Error(msg.error));
    else p.resolve(msg.result);
  });
  const bounded = <T>(what: string, promise: Promise<T>, ms: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      promise.then(
        (v) => (clearTimeout(timer), resolve(v)),
        (e: unknown) => (clearTimeout(timer), reject(e instanceof Error ? e : new Error(String(e)))),
      );
    });
  const stop = async () => {
    if (exited) return;
    try {
      if (child.stdin!.writable) child.stdin!.end();
    } catch {
      // ignore: the child may be gone
    }
    const graceful = await Promise.race([exitPromise.then(() => true), delay(5000).then(() => false)]);
    if (!graceful) {
      if (options.ownGroup) killGroup(pid, 'SIGTERM');
      else child.kill('SIGTERM');
      const terminated = await Promise.race([exitPromise.then(() => true), delay(3000).then(() => false)]);
      if (!terminated) {
        if (options.ownGroup) killGroup(pid, 'SIGKILL');
        else child.kill('SIGKILL');
        await exitPromise;
      }
    } else if (options.ownGroup) {
      killGroup(pid, 'SIGKILL'); // anything it started and did not stop
    }
  };
  try {
    await bounded(
      `start of ${modulePath}`,
      Promise.race([
        ready,
        exitPromise.then(() => Promise.reject(new Error(`${exitReason}; stderr: ${tail}`))),
      ]),
      options.startTimeoutMs ?? 60_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid,
    stderrTail: () => tail,
    stop,
    call<T>(command: string, args?: unknown, timeoutMs = 600_000): Promise<T> {
      if (exited) return Promise.reject(new Error(exitReason));
      const id = nextId++;
      const p = new Promise<T>((resolve, reject) =>
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject }),
      );
      child.stdin!.write(`${JSON.stringify({ id, command, args })}\n`);
      return bounded(`${command} in ${modulePath}`, p, timeoutMs).catch(async (err: unknown) => {
        pending.delete(id);
        if (String(err).includes('timed out')) await stop();
        throw err;
      });
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

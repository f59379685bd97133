import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { main } from '../../src/cli/main.js';
import { freePort, tempDir, waitFor } from './env.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Spawns `blox …` from the sources (through tsx), as a user's shell would run it. */
export function spawnBlox(
  args: string[],
  env: Record<string, string> = {},
): ChildProcess & { output: () => string; errors: () => string; exited: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      "import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv);",
      '--',
      'blox',
      ...args,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        NO_COLOR: '1',
        ...env,
      },
    },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return Object.assign(child, { output: () => out, errors: () => err, exited });
}

/** Runs `blox …` in this process (the real command code, minus the bin wrapper): exit code and what it printed. */
export async function blox(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => out.push(parts.join(' '));
  console.error = (...parts: unknown[]) => err.push(parts.join(' '));
  try {
    const code = await main(['node', 'blox', ...args]);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

export interface RunningBloxUp {
  api: string;
  localAws: string;
  dataDir: string;
  apiPort: number;
  awsPort: number;
  process: ReturnType<typeof spawnBlox>;
  /** Ctrl-C, then removes the data dir unless `keepData` (to start again on it). */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

/**
 * `blox up` on free loopback ports and a temp data dir (or those given, to restart on them),
 * ready (GET /readyz answers 200) within a bound.
 */
export async function startBloxUp(
  options: { dataDir?: string; apiPort?: number; awsPort?: number } = {},
): Promise<RunningBloxUp> {
  const dir = options.dataDir
    ? { path: options.dataDir, cleanup: () => rm(options.dataDir!, { recursive: true, force: true }) }
    : await tempDir('blox-cli-e2e-');
  const apiPort = options.apiPort ?? (await freePort());
  const awsPort = options.awsPort ?? (await freePort());
  const child = spawnBlox([
    'up',
    '--data-dir',
    dir.path,
    '--bind',
    `127.0.0.1:${apiPort}`,
    '--local-aws-port',
    String(awsPort),
    '--log-level',
    'warn',
    '--log-format',
    'json',
  ]);
  const api = `http://127.0.0.1:${apiPort}`;
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code));
  const stop = async (stopOptions: { keepData?: boolean } = {}) => {
    if (exitCode === undefined) {
      child.kill('SIGINT');
      // A clean stop finishes in-flight SQS long polls (up to 20 s) and saves the emulator snapshot.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await child.exited;
      clearTimeout(timer);
    }
    if (!stopOptions.keepData) await dir.cleanup();
  };
  try {
    await waitFor(
      'blox up to answer GET /readyz with 200',
      async () => {
        if (exitCode !== undefined)
          throw new Error(`blox up exited with ${exitCode}: ${child.errors()}${child.output()}`);
        const res = await fetch(`${api}/readyz`).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    api,
    localAws: `http://127.0.0.1:${awsPort}`,
    dataDir: dir.path,
    apiPort,
    awsPort,
    process: child,
    stop,
  };
}

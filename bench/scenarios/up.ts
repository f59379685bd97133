/**
 * `blox up` from process spawn to /readyz answering 200, with an empty data directory each time
 * (the local emulator with its demo cluster, embedded store, state service and scheduler).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort, tempDir, waitFor } from '../../test/support/env.js';
import type { Figures } from '../lib/figure.js';
import { load } from '../lib/machine.js';
import type { ScenarioContext } from '../lib/types.js';

/** The installed command (bin/blox.js over the compiled dist/): what a user starts. */
const BIN = new URL('../../bin/blox.js', import.meta.url).pathname;
const COMPILED = new URL('../../dist/cli/main.js', import.meta.url).pathname;
/** From source through tsx, only when nothing is compiled (`npm run bench` builds first). */
const ENTRY = new URL('../lib/blox-entry.ts', import.meta.url).pathname;

function command(): { args: string[]; note: string } {
  if (existsSync(COMPILED)) return { args: [BIN], note: 'compiled bin/blox.js, as installed' };
  return {
    args: ['--no-warnings', '--import', 'tsx', ENTRY],
    note: 'from source through the tsx loader (transpile cache warm; no dist/ was built)',
  };
}

async function once(): Promise<number> {
  const dir = await tempDir('blox-bench-up-');
  const port = await freePort();
  const awsPort = await freePort();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...command().args,
      'up',
      '--bind',
      `127.0.0.1:${port}`,
      '--data-dir',
      dir.path,
      '--local-aws-port',
      String(awsPort),
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await waitFor(
      'blox up to be ready',
      async () => {
        if (child.exitCode !== null) throw new Error(`blox up exited with ${child.exitCode}: ${stderr}`);
        return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 10 },
    );
    return performance.now() - t0;
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await dir.cleanup();
  }
}

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  // Warm-up: the file-system cache (and tsx's transpile cache when running from source). The quick
  // run comes after every other scenario has read nearly all of src, and keeps its 3 minutes.
  if (!ctx.quick) await once();
  const l0 = load()[0];
  const runs: number[] = [];
  for (let r = 0; r < ctx.runs; r++) runs.push(await once());
  figures.add({
    name: 'blox up start to ready',
    backend: 'sqlite',
    size: 0,
    sizeLabel: 'empty data dir',
    unit: 'ms',
    better: 'lower',
    runs,
    loadStart: l0,
    note: `${command().note}: emulator + demo cluster + embedded store + state service + scheduler.`,
  });
}

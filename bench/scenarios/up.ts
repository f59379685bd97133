/**
 * `blox up` from process spawn to /readyz answering 200, with an empty data directory each time
 * (the local emulator with its demo cluster, embedded store, state service and scheduler).
 */
import { spawn } from 'node:child_process';
import { freePort, tempDir, waitFor } from '../../test/support/env.js';
import type { Figures } from '../lib/figure.js';
import { load } from '../lib/machine.js';
import type { ScenarioContext } from '../lib/types.js';

const ENTRY = new URL('../lib/blox-entry.ts', import.meta.url).pathname;

async function once(): Promise<number> {
  const dir = await tempDir('blox-bench-up-');
  const port = await freePort();
  const awsPort = await freePort();
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      '--no-warnings',
      '--import',
      'tsx',
      ENTRY,
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
  // Warm-up: fills tsx's transpile cache, as an installed (compiled) blox would not need. The quick
  // run comes after every other scenario has compiled nearly all of src, and keeps its 3 minutes.
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
    note: 'from source through the tsx loader (transpile cache warm), emulator + demo cluster + embedded store + state service + scheduler.',
  });
}

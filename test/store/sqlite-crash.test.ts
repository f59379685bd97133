/**
 * Durability of the embedded store against a process crash: a child writes as fast as it can and
 * prints every acknowledged revision; we SIGKILL it mid-stream, reopen the data directory and
 * check that every acknowledged write is there (WAL + synchronous=NORMAL).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore, StoreUnavailableError } from '../../src/store/index.js';
import { tempDir, waitFor } from '../support/env.js';

const writer = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));

interface Ack {
  round: number;
  i: number;
  revision: number;
}

/** Runs the writer until it has acknowledged `minAcks` writes, then SIGKILLs it. */
async function runAndKill(dataDir: string, round: number, minAcks: number): Promise<Ack[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, dataDir, String(round)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const acks: Ack[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Bound the run (a loaded CI machine can be slow to start tsx); the assertion below reports progress.
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  try {
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        if (line === 'ready') {
          // While the writer owns the data dir, nobody else may open it.
          openStore({ backend: 'sqlite', dataDir }).then(
            (s) => {
              void s.close();
              reject(new Error('a second process could open a data dir that is in use'));
            },
            (err: unknown) => {
              if (!(err instanceof StoreUnavailableError)) reject(err as Error);
            },
          );
          return;
        }
        const m = /^ack (\d+) (\d+) (\d+)$/.exec(line);
        if (!m) return;
        acks.push({ round: Number(m[1]), i: Number(m[2]), revision: Number(m[3]) });
        if (acks.length === minAcks) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.once('exit', () => resolve());
      child.once('error', reject);
    });
    await exited;
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
  assert.equal(child.signalCode, 'SIGKILL', `the writer should have been killed; stderr:\n${stderr}`);
  assert.ok(
    acks.length >= minAcks,
    `the writer acknowledged only ${acks.length} of ${minAcks} writes within 60 s; stderr:\n${stderr}`,
  );
  return acks;
}

describe('sqlite store: crash durability (kill -9)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups) await c();
  });

  it('every acknowledged write survives SIGKILL of the writer, across two crashes', async () => {
    const dir = await tempDir('blox-crash-');
    cleanups.push(dir.cleanup);
    const acks = [...(await runAndKill(dir.path, 1, 3000)), ...(await runAndKill(dir.path, 2, 3000))];
    const store = await openStore({ backend: 'sqlite', dataDir: dir.path });
    try {
      const maxAcked = Math.max(...acks.map((a) => a.revision));
      assert.ok((await store.revision()) >= maxAcked, 'the store revision covers every acknowledged write');
      for (const a of acks) {
        const kv = await store.get(`r${a.round}/k/${a.i}`);
        assert.equal(kv?.value, String(a.i), `write ${a.round}/${a.i} (revision ${a.revision}) is missing`);
        assert.equal(kv.modRevision, a.revision);
        if (a.i % 5 === 4) assert.equal((await store.get(`r${a.round}/t/${a.i}`))?.modRevision, a.revision);
      }
      // Revisions went on increasing after the first crash.
      const r1 = acks.filter((a) => a.round === 1).at(-1)!.revision;
      const r2 = acks.find((a) => a.round === 2)!.revision;
      assert.ok(r2 > r1);
      // History is intact: a watch from the start replays round 1 in order.
      const first = acks[0]!.revision;
      const seen: number[] = [];
      const w = await store.watch(
        'r1/k/',
        { fromRevision: first },
        { onEvents: (events) => seen.push(...events.map((e) => Number(e.value))), onError: () => {} },
      );
      await waitFor('round 1 replay', () => seen.length >= 3000);
      assert.deepEqual(
        seen.slice(0, 3000),
        Array.from({ length: 3000 }, (_, i) => i),
      );
      await w.close();
    } finally {
      await store.close();
    }
  });
});

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { waitFor } from '../support/env.js';
import { blox, spawnBlox, startBloxUp, type RunningBloxUp } from '../support/blox-process.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- NDJSON printed by the CLI is read loosely */

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

describe('blox tasks --watch across a restart of blox up', () => {
  let up: RunningBloxUp | undefined;
  after(async () => {
    await up?.stop();
  });

  it('reconnects, resumes after the last entityVersion it printed, and prints nothing twice', async () => {
    up = await startBloxUp();
    const e = ['--endpoint', up.api];
    assert.equal(
      (
        await blox(
          'env',
          'create',
          'demo',
          '--cluster',
          'default',
          '--task-definition',
          'blox-demo-daemon',
          ...e,
        )
      ).code,
      0,
    );
    assert.equal((await blox('deploy', 'demo', '--wait', ...e)).code, 0);

    const watch = spawnBlox([
      'tasks',
      '--cluster',
      'default',
      '--status',
      'RUNNING',
      '--watch',
      '-o',
      'json',
      ...e,
    ]);
    const records = () =>
      watch
        .output()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    try {
      await waitFor('the watch to list the 3 running tasks', () => records().length === 3, {
        timeoutMs: 30_000,
      });

      const { dataDir, apiPort, awsPort } = up;
      await up.stop({ keepData: true });
      await waitFor(
        'the watch to say it lost the connection',
        () => /lost .*reconnecting/.test(watch.errors()),
        {
          timeoutMs: 15_000,
        },
      );
      up = await startBloxUp({ dataDir, apiPort, awsPort });

      assert.equal((await blox('local-aws', 'scale', 'default', '4', '--endpoint', up.localAws)).code, 0);
      // The watch converges to what a fresh list says: every running daemon task, the new one too.
      const listed = async () =>
        new Set(
          (
            JSON.parse(
              (await blox('tasks', '--cluster', 'default', '--status', 'RUNNING', ...e, '-o', 'json')).out,
            ) as any[]
          ).map((t) => t.detail.taskArn),
        );
      const watched = () => {
        const latest = new Map<string, any>();
        for (const r of records()) latest.set(r.detail.taskArn, r);
        return new Set(
          [...latest.values()].filter((r) => r.detail.lastStatus === 'RUNNING').map((r) => r.detail.taskArn),
        );
      };
      await waitFor(
        'the watch to show every running task a fresh list shows, including the new instance’s',
        async () => {
          const [now, seen] = [await listed(), watched()];
          return now.size >= 4 && now.size === seen.size && [...now].every((arn) => seen.has(arn));
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      ).catch(async (err: Error) => {
        throw new Error(
          `${err.message}\nwatch stdout:\n${watch.output()}\nwatch stderr:\n${watch.errors()}\nlisted: ${[...(await listed())].join(', ')}`,
        );
      });
      const seen = records().map((r) => `${r.detail.taskArn}@${r.entityVersion}`);
      assert.equal(new Set(seen).size, seen.length, `no change printed twice:\n${seen.join('\n')}`);
      const versions = records()
        .slice(3)
        .map((r) => Number(r.entityVersion));
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
        'changes come in entityVersion order',
      );
      assert.equal(watch.exitCode, null, 'the watch is still running');
    } finally {
      watch.kill('SIGINT');
      assert.equal(await watch.exited, 0, watch.errors());
    }
  });
});

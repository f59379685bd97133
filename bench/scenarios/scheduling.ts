/**
 * Daemon scheduler against the emulator with throttling on at ECS rates (everything of `blox up`
 * in one process: emulator, SQS ingest, state index, scheduler): N instances join at once, then a
 * rolling update at maxUnavailable 10%. Bounds from the ECS limits: StartTask takes 10 instances,
 * the modify bucket holds 100 and refills 40 per second; ECS has no batch StopTask.
 */
import { startEtcd } from '../../test/support/etcd.js';
import { waitFor } from '../../test/support/env.js';
import { createCluster, registerTaskDefinition } from '../../test/scheduler/support/harness.js';
import { startStack, type Backend } from '../../test/scheduler/support/stack.js';
import type { Figures } from '../lib/figure.js';
import { load } from '../lib/machine.js';
import type { ScenarioContext } from '../lib/types.js';

const MODIFY_BURST = 100;
const MODIFY_PER_S = 40;

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers of the scheduler API are read loosely */
export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  const sizes = ctx.quick ? [50] : [1000];
  // ECS takes seconds to start a task; the quick run shortens that so it fits in its time budget.
  const START_DELAY_MS = ctx.quick ? 200 : 1000;
  const etcd = ctx.backends.includes('etcd') ? await startEtcd() : undefined;
  try {
    for (const backendName of ctx.backends) {
      for (const n of sizes) {
        const join: number[] = [];
        const joinDup: number[] = [];
        const rolling: number[] = [];
        const rollingMax: number[] = [];
        const l0 = load()[0];
        for (let r = 0; r < ctx.runs; r++) {
          const backend: Backend =
            backendName === 'sqlite'
              ? { backend: 'sqlite' }
              : { backend: 'etcd', endpoints: etcd!.endpoints, namespace: `sch${n}-${r}/` };
          const stack = await startStack(backend, { taskStartDelayMs: START_DELAY_MS, throttling: true });
          try {
            const cluster = await createCluster(stack.ecs, 'bench');
            const td1 = await registerTaskDefinition(stack.ecs, 'daemon');
            const env = (
              await stack.call('POST', '/v1/environments', {
                name: 'bench',
                instanceGroup: { cluster },
                taskDefinition: td1,
                deploymentConfiguration: { maxUnavailable: '10%' },
              })
            ).body as any;
            const d = (
              await stack.call(
                'POST',
                `/v1/environments/bench/deployments?deploymentToken=${env.deploymentToken}`,
              )
            ).body as any;
            await waitFor(
              'the empty deployment completes',
              async () =>
                ((await stack.call('GET', `/v1/environments/bench/deployments/${d.id}`)).body as any)
                  .status === 'completed',
              { timeoutMs: 30_000 },
            );
            const dup0 = stack.timeline.duplicates.length;
            const t0 = performance.now();
            stack.aws.ecs.fleet.scale('bench', n);
            await waitFor(
              'every instance runs its daemon task',
              () => stack.timeline.running(env.group) === n,
              { timeoutMs: 300_000, intervalMs: 10 },
            );
            join.push(performance.now() - t0);
            joinDup.push(stack.timeline.duplicates.length - dup0);

            const td2 = await registerTaskDefinition(stack.ecs, 'daemon');
            const cur = (await stack.call('GET', '/v1/environments/bench')).body as any;
            const upd = (
              await stack.call('PUT', `/v1/environments/bench?deploymentToken=${cur.deploymentToken}`, {
                taskDefinition: td2,
              })
            ).body as any;
            stack.timeline.watchAvailability(env.group, () => n);
            const t1 = performance.now();
            const d2 = (
              await stack.call(
                'POST',
                `/v1/environments/bench/deployments?deploymentToken=${upd.deploymentToken}`,
              )
            ).body as any;
            await waitFor(
              'the rolling update completes',
              async () =>
                stack.timeline.running(env.group, td2) === n &&
                ((await stack.call('GET', `/v1/environments/bench/deployments/${d2.id}`)).body as any)
                  .status === 'completed',
              { timeoutMs: 600_000, intervalMs: 50 },
            );
            rolling.push(performance.now() - t1);
            rollingMax.push(stack.timeline.maxUnavailable);
            console.error(
              `  scheduling ${backendName} n=${n} run ${r + 1}: join ${Math.round(join.at(-1)!)} ms, rolling ${Math.round(rolling.at(-1)!)} ms, max unavailable ${rollingMax.at(-1)}`,
            );
          } finally {
            await stack.close();
          }
        }
        const starts = Math.ceil(n / 10);
        const joinBound = (Math.max(0, starts - MODIFY_BURST) / MODIFY_PER_S) * 1000 + START_DELAY_MS;
        const rollingCalls = n + starts;
        const rollingBound = (Math.max(0, rollingCalls - MODIFY_BURST) / MODIFY_PER_S) * 1000;
        const label = `${n.toLocaleString('en-US')} instances`;
        const common = { backend: backendName, size: n, sizeLabel: label, loadStart: l0 } as const;
        figures.add({
          ...common,
          name: 'join: every instance runs its daemon task',
          unit: 'ms',
          better: 'lower',
          runs: join,
          ceiling: {
            label: `ECS-limit bound (${starts} StartTask of 10, modify bucket 100 + 40/s) + ${START_DELAY_MS} ms start delay`,
            median: joinBound,
            unit: 'ms',
          },
          note: 'emulator throttling on at ECS rates; state reaches the scheduler through SQS events, ingest and the index, as in `blox up`.',
        });
        figures.add({
          ...common,
          name: 'join: duplicate daemon tasks',
          unit: 'tasks',
          better: 'lower',
          runs: joinDup,
        });
        figures.add({
          ...common,
          name: 'rolling update at maxUnavailable 10%',
          unit: 'ms',
          better: 'lower',
          runs: rolling,
          ...(rollingBound > 0
            ? {
                ceiling: {
                  label: `throttle floor (${rollingCalls} StopTask/StartTask calls, modify bucket 100 + 40/s)`,
                  median: rollingBound,
                  unit: 'ms',
                },
              }
            : {}),
        });
        figures.add({
          ...common,
          name: 'rolling: max instances without a running daemon task',
          unit: 'instances',
          better: 'lower',
          runs: rollingMax,
          ceiling: { label: 'maxUnavailable (10%)', median: Math.floor(n / 10), unit: 'instances' },
        });
      }
    }
  } finally {
    await etcd?.stop();
  }
}

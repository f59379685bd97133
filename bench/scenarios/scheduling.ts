/**
 * Daemon scheduler against the emulator (everything of `blox up` in one process: emulator, SQS
 * ingest, state index, scheduler): N instances join at once, then (at the size the target is
 * stated for) a rolling update.
 *
 * - Throttling on at ECS rates, 100 and 1,000 instances: join against the ECS-limit bound
 *   (StartTask takes 10 instances; the modify bucket holds 100 and refills 40 per second; ECS has
 *   no batch StopTask), then a rolling update at maxUnavailable 10% at 1,000 only: with 10% waves a
 *   rolling update is 10 waves whatever the size, so at 100 instances it would time the start
 *   delay ten times over rather than the scheduler, and at 1,000 it is throttle-bound.
 * - Throttling off, 1,000 and 10,000 instances: join only (at 10,000 the ECS limits alone would make
 *   it ~25 s of waiting on the bucket), against the emulator alone doing the same StartTask calls.
 */
import { StartTaskCommand } from '@aws-sdk/client-ecs';
import { waitFor } from '../../test/support/env.js';
import { createCluster, registerTaskDefinition, startAws } from '../../test/scheduler/support/harness.js';
import { startStack, type Backend } from '../../test/scheduler/support/stack.js';
import { etcdFor } from '../lib/etcd.js';
import type { Figures } from '../lib/figure.js';
import { load } from '../lib/machine.js';
import { pool, summarize } from '../lib/stats.js';
import type { ScenarioContext } from '../lib/types.js';

const MODIFY_BURST = 100;
const MODIFY_PER_S = 40;
/** StartTask calls the scheduler's actuator keeps in flight (src/scheduler/framework/actuator.ts). */
const ACTUATOR_CONCURRENCY = 16;

export interface SchedulingPlan {
  /** Join sizes with throttling on at ECS rates. */
  throttled: number[];
  /** Join sizes with throttling off. */
  unthrottled: number[];
  /** The size the rolling update runs at (throttling on). */
  rollingAt: number;
  rollingPct: number;
  startDelayMs: number;
}

export function schedulingPlan(quick: boolean): SchedulingPlan {
  // ECS takes seconds to start a task; the quick run (CI: the scenario still works, within 3
  // minutes for the whole suite) shortens that, rolls in 4 waves rather than 10, and leaves out the
  // unthrottled join (the same run with throttling off, plus the emulator alone).
  return quick
    ? { throttled: [40], unthrottled: [], rollingAt: 40, rollingPct: 25, startDelayMs: 100 }
    : {
        throttled: [100, 1000],
        unthrottled: [1000, 10_000],
        rollingAt: 1000,
        rollingPct: 10,
        startDelayMs: 1000,
      };
}

interface RunResult {
  /** Stack start until the empty deployment completed (not a figure: where a run's time goes). */
  setup: number;
  /** The emulator registering the n instances (synchronous, in this process): before the clock starts. */
  register: number;
  /** From every instance registered with ECS until each runs its daemon task. */
  join: number;
  duplicates: number;
  rolling?: number;
  rollingMax?: number;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers of the scheduler API are read loosely */
async function oneRun(
  backend: Backend,
  n: number,
  o: { throttling: boolean; rolling: boolean; startDelayMs: number; rollingPct: number },
): Promise<RunResult> {
  const ts = performance.now();
  const stack = await startStack(backend, {
    taskStartDelayMs: o.startDelayMs,
    throttling: o.throttling,
    pollers: 4, // as blox up
  });
  try {
    const cluster = await createCluster(stack.ecs, 'bench');
    const td1 = await registerTaskDefinition(stack.ecs, 'daemon');
    const env = (
      await stack.call('POST', '/v1/environments', {
        name: 'bench',
        instanceGroup: { cluster },
        taskDefinition: td1,
        deploymentConfiguration: { maxUnavailable: `${o.rollingPct}%` },
      })
    ).body as any;
    const d = (
      await stack.call('POST', `/v1/environments/bench/deployments?deploymentToken=${env.deploymentToken}`)
    ).body as any;
    await waitFor(
      'the empty deployment completes',
      async () =>
        ((await stack.call('GET', `/v1/environments/bench/deployments/${d.id}`)).body as any).status ===
        'completed',
      { timeoutMs: 30_000 },
    );
    const dup0 = stack.timeline.duplicates.length;
    const tr = performance.now();
    stack.aws.ecs.fleet.scale('bench', n);
    // The instances have joined once ECS has registered them (their events are on their way):
    // the clock starts there, not before the emulator's own registration work.
    const t0 = performance.now();
    await waitFor('every instance runs its daemon task', () => stack.timeline.running(env.group) === n, {
      timeoutMs: 300_000,
      intervalMs: 10,
    });
    const result: RunResult = {
      setup: tr - ts,
      register: t0 - tr,
      join: performance.now() - t0,
      duplicates: stack.timeline.duplicates.length - dup0,
    };
    if (!o.rolling) return result;

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
      await stack.call('POST', `/v1/environments/bench/deployments?deploymentToken=${upd.deploymentToken}`)
    ).body as any;
    await waitFor(
      'the rolling update completes',
      async () =>
        stack.timeline.running(env.group, td2) === n &&
        ((await stack.call('GET', `/v1/environments/bench/deployments/${d2.id}`)).body as any).status ===
          'completed',
      { timeoutMs: 600_000, intervalMs: 50 },
    );
    return { ...result, rolling: performance.now() - t1, rollingMax: stack.timeline.maxUnavailable };
  } finally {
    await stack.close();
  }
}

/** The emulator alone (same options, no blox): n instances, n/10 StartTask calls, until every task is RUNNING. */
async function emulatorAlone(n: number, startDelayMs: number): Promise<number> {
  const { aws, ecs, close } = await startAws({
    taskStartDelayMs: startDelayMs,
    taskStopDelayMs: 150,
    throttling: false,
    reorderHoldMs: 20,
  });
  try {
    await createCluster(ecs, 'bench');
    const td = await registerTaskDefinition(ecs, 'daemon');
    const running = new Set<string>();
    aws.ecs.onChange((c) => {
      const d = c.detail as Record<string, string>;
      if (c.kind === 'task' && d.lastStatus === 'RUNNING') running.add(d.taskArn!);
    });
    aws.ecs.fleet.scale('bench', n);
    const t0 = performance.now();
    const arns = aws.ecs.fleet.instances('bench').map((i) => i.containerInstanceArn);
    await pool(Math.ceil(n / 10), ACTUATOR_CONCURRENCY, (b) =>
      ecs.send(
        new StartTaskCommand({
          cluster: 'bench',
          taskDefinition: td,
          containerInstances: arns.slice(b * 10, b * 10 + 10),
        }),
      ),
    );
    await waitFor('every task RUNNING', () => running.size >= n, { timeoutMs: 300_000, intervalMs: 10 });
    return performance.now() - t0;
  } finally {
    await close();
  }
}

export async function run(ctx: ScenarioContext, figures: Figures): Promise<void> {
  const plan = schedulingPlan(ctx.quick);
  const etcd = await etcdFor(ctx);
  let seq = 0;
  const backendOf = (name: 'sqlite' | 'etcd'): Backend =>
    name === 'sqlite'
      ? { backend: 'sqlite' }
      : { backend: 'etcd', endpoints: etcd!.endpoints, namespace: `sch${seq++}/` };
  try {
    for (const backendName of ctx.backends) {
      // Throttling on at ECS rates: join (and the rolling update at its size).
      for (const n of plan.throttled) {
        const rolling = n === plan.rollingAt;
        const runs: RunResult[] = [];
        const l0 = load()[0];
        for (let r = 0; r < ctx.runs; r++) {
          runs.push(
            await oneRun(backendOf(backendName), n, {
              throttling: true,
              rolling,
              startDelayMs: plan.startDelayMs,
              rollingPct: plan.rollingPct,
            }),
          );
          const x = runs.at(-1)!;
          console.error(
            `  scheduling ${backendName} n=${n} throttled run ${r + 1}: setup ${Math.round(x.setup)} ms, register ${Math.round(x.register)} ms, join ${Math.round(x.join)} ms` +
              (rolling ? `, rolling ${Math.round(x.rolling!)} ms, max unavailable ${x.rollingMax}` : ''),
          );
        }
        const starts = Math.ceil(n / 10);
        const joinBound = (Math.max(0, starts - MODIFY_BURST) / MODIFY_PER_S) * 1000 + plan.startDelayMs;
        const common = {
          backend: backendName,
          size: n,
          sizeLabel: `${n.toLocaleString('en-US')} instances`,
          loadStart: l0,
        } as const;
        figures.add({
          ...common,
          name: 'join: every instance runs its daemon task',
          unit: 'ms',
          better: 'lower',
          runs: runs.map((x) => x.join),
          ceiling: {
            label: `ECS-limit bound (${starts} StartTask of 10, modify bucket 100 + 40/s) + ${plan.startDelayMs} ms start delay`,
            median: joinBound,
            unit: 'ms',
          },
          note: `emulator throttling on at ECS rates; state reaches the scheduler through SQS events, ingest and the index, as in \`blox up\`; timed from the moment the emulator has registered every instance (its registration work, median ${Math.round(summarize(runs.map((x) => x.register)).median)} ms in this process, comes before).`,
        });
        figures.add({
          ...common,
          name: 'join: duplicate daemon tasks',
          unit: 'tasks',
          better: 'lower',
          runs: runs.map((x) => x.duplicates),
        });
        if (!rolling) continue;
        const rollingCalls = n + starts;
        const rollingBound = (Math.max(0, rollingCalls - MODIFY_BURST) / MODIFY_PER_S) * 1000;
        figures.add({
          ...common,
          name: `rolling update at maxUnavailable ${plan.rollingPct}%`,
          unit: 'ms',
          better: 'lower',
          runs: runs.map((x) => x.rolling!),
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
          runs: runs.map((x) => x.rollingMax!),
          ceiling: {
            label: `maxUnavailable (${plan.rollingPct}%)`,
            median: Math.ceil((n * plan.rollingPct) / 100), // percentages round up (src/scheduler/daemon/counts.ts)
            unit: 'instances',
          },
        });
      }
      // Throttling off: join only, against the emulator alone doing the same StartTask calls.
      for (const n of plan.unthrottled) {
        const runs: RunResult[] = [];
        const ceiling: number[] = [];
        const l0 = load()[0];
        for (let r = 0; r < ctx.runs; r++) {
          ceiling.push(await emulatorAlone(n, plan.startDelayMs));
          runs.push(
            await oneRun(backendOf(backendName), n, {
              throttling: false,
              rolling: false,
              startDelayMs: plan.startDelayMs,
              rollingPct: plan.rollingPct,
            }),
          );
          console.error(
            `  scheduling ${backendName} n=${n} unthrottled run ${r + 1}: setup ${Math.round(runs.at(-1)!.setup)} ms, join ${Math.round(runs.at(-1)!.join)} ms, emulator alone ${Math.round(ceiling.at(-1)!)} ms`,
          );
        }
        const common = {
          backend: backendName,
          size: n,
          sizeLabel: `${n.toLocaleString('en-US')} instances, throttling off`,
          loadStart: l0,
        } as const;
        figures.add({
          ...common,
          name: 'join, throttling off: every instance runs its daemon task',
          unit: 'ms',
          better: 'lower',
          runs: runs.map((x) => x.join),
          // The scheduler paces its own StartTask calls at ECS's published rate whether or not the
          // emulator throttles, so its floor is the larger of that pace and the emulator alone.
          ceiling:
            paceBoundMs(n, plan.startDelayMs) > summarize(ceiling).median
              ? {
                  label: `the scheduler's own pacing at ECS rates: ${Math.ceil(n / 10)} StartTask of 10 through a modify bucket of ${MODIFY_BURST} + ${MODIFY_PER_S}/s, + ${plan.startDelayMs} ms start delay (the emulator alone: ${Math.round(summarize(ceiling).median)} ms)`,
                  median: paceBoundMs(n, plan.startDelayMs),
                  unit: 'ms',
                }
              : {
                  label: `emulator alone: ${Math.ceil(n / 10)} StartTask of 10 (${ACTUATOR_CONCURRENCY} in flight) until RUNNING, ${plan.startDelayMs} ms start delay`,
                  runs: ceiling,
                  unit: 'ms',
                },
          note: 'emulator throttling off (the ECS-limit-bound case is the throttled join above); the scheduler still paces its calls at ECS rates, as it must against ECS. Ceiling: the larger of that pace and the emulator in this process with the same options and no blox.',
        });
        figures.add({
          ...common,
          name: 'join, throttling off: duplicate daemon tasks',
          unit: 'tasks',
          better: 'lower',
          runs: runs.map((x) => x.duplicates),
        });
      }
    }
  } finally {
    await etcd?.stop();
  }
}

/** StartTask calls of 10 instances paced through ECS's modify bucket, plus the start delay. */
function paceBoundMs(instances: number, startDelayMs: number): number {
  const starts = Math.ceil(instances / 10);
  return (Math.max(0, starts - MODIFY_BURST) / MODIFY_PER_S) * 1000 + startDelayMs;
}

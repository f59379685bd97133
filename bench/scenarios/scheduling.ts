/**
 * Daemon scheduler against the emulator: N instances join at once, then (at the size the target is
 * stated for) a rolling update.
 *
 * The emulator runs in its own process, as AWS is remote in production, and is warmed up first by
 * an unmeasured join on a scratch cluster (a fresh process spent about twice the CPU per started
 * task of the same code warm; the AWS it stands in for is a warm service); Blox (state service with
 * SQS ingest, index, daemon scheduler, one HTTP app) runs in the measuring process as `blox up`
 * composes it, and is warmed up too, by an unmeasured join through it (warmBlox): a scheduler is a
 * long-running process when its fleet scales, not one started a moment before. The ground truth —
 * when every instance runs its daemon task, duplicates, instances without a running task during a
 * rolling update — is kept by the emulator process from its own change feed, timed there on the
 * epoch clock, so the measured process pays nothing for it. The clock starts once the emulator has
 * registered every instance, a registration that ends with a scavenge of its own garbage
 * (emulator-child.ts `scale` says why).
 * One extra row keeps the former layout (the emulator inside the measuring process, sharing its
 * event loop with Blox) for comparison; it is not the target row.
 *
 * - Throttling on at ECS rates, 100 and 1,000 instances: join against the ECS-limit bound
 *   (StartTask takes 10 instances; the modify bucket holds 100 and refills 40 per second; ECS has
 *   no batch StopTask), then a rolling update at maxUnavailable 10% at 1,000 only: with 10% waves a
 *   rolling update is 10 waves whatever the size, so at 100 instances it would time the start
 *   delay ten times over rather than the scheduler, and at 1,000 it is throttle-bound.
 * - Throttling off, 1,000 and 10,000 instances: join only (at 10,000 the ECS limits alone would make
 *   it ~25 s of waiting on the bucket), against the emulator alone doing the same StartTask calls.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import { ecsTransportFor } from '../../src/aws/ecs-transport.js';
import { createEcsClient, createSqsClient } from '../../src/aws/clients.js';
import { composeBlox, type ComposedBlox } from '../../src/cli/up/compose.js';
import { silentLogger } from '../../src/core/logger.js';
import { openStore } from '../../src/store/index.js';
import { tempDir, waitFor } from '../../test/support/env.js';
import { createCluster, registerTaskDefinition } from '../../test/scheduler/support/harness.js';
import { startStack, type Backend } from '../../test/scheduler/support/stack.js';
import { startChild, type ChildHandle } from '../lib/child.js';
import { etcdFor } from '../lib/etcd.js';
import type { Figures } from '../lib/figure.js';
import { epochMs } from '../lib/fixtures.js';
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
  /** The throttled join size that also runs in the former one-process layout (an extra row), if any. */
  oneProcessAt?: number;
  /** Instances of Blox's unmeasured warm-up join before each measured run (warmBlox). */
  bloxWarmUp: number;
}

export function schedulingPlan(quick: boolean): SchedulingPlan {
  // ECS takes seconds to start a task; the quick run (CI: the scenario still works, within 3
  // minutes for the whole suite) shortens that, rolls in 4 waves rather than 10, and leaves out the
  // unthrottled join (the same run with throttling off, plus the emulator alone).
  return quick
    ? { throttled: [40], unthrottled: [], rollingAt: 40, rollingPct: 25, startDelayMs: 100, bloxWarmUp: 40 }
    : {
        throttled: [100, 1000],
        unthrottled: [1000, 10_000],
        rollingAt: 1000,
        rollingPct: 10,
        startDelayMs: 1000,
        oneProcessAt: 1000,
        bloxWarmUp: 1000,
      };
}

interface RunResult {
  /** Start until the empty deployment completed (not a figure: where a run's time goes). */
  setup: number;
  /** The emulator registering the n instances (synchronous, in its process): before the clock starts. */
  register: number;
  /** From every instance registered with ECS until each runs its daemon task. */
  join: number;
  /** From every instance registered until ECS accepted the first / the last daemon task (its StartTask). */
  firstStart: number;
  lastStart: number;
  /** From every instance registered until the scheduler's informer had seen every one (SQS → ingest → index). */
  visible: number;
  duplicates: number;
  rolling?: number;
  rollingMax?: number;
}

interface RunOptions {
  throttling: boolean;
  rolling: boolean;
  startDelayMs: number;
  rollingPct: number;
  /** Instances of Blox's unmeasured warm-up join before the measured one (warmBlox); 0: none. */
  warmBlox: number;
}

const EMULATOR = new URL('../lib/emulator-child.ts', import.meta.url).pathname;
/**
 * The emulator child may collect garbage when asked: its `scale` ends with a scavenge of the
 * registration's own garbage, before the clock starts (emulator-child.ts says why).
 */
const EMULATOR_CHILD = { nodeArgs: ['--expose-gc'] };
const JOIN_TIMEOUT_MS = 300_000;
/** Instances of the emulator's unmeasured warm-up join before each run. */
const WARM_UP_INSTANCES = 1000;

/* eslint-disable @typescript-eslint/no-explicit-any -- JSON answers of the scheduler API are read loosely */
type Call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) => Promise<any>;

/** Creates environment `name` and deploys it on the empty cluster; answers the environment. */
async function deployEmpty(
  call: Call,
  cluster: string,
  taskDefinition: string,
  rollingPct: number,
  name = 'bench',
) {
  const env = await call('POST', '/v1/environments', {
    name,
    instanceGroup: { cluster },
    taskDefinition,
    deploymentConfiguration: { maxUnavailable: `${rollingPct}%` },
  });
  const d = await call('POST', `/v1/environments/${name}/deployments?deploymentToken=${env.deploymentToken}`);
  await completed(call, d.id, 30_000, name);
  return env as { group: string; deploymentToken: string };
}

/** Cluster and environment of Blox's unmeasured warm-up join. */
const BLOX_WARM_UP = 'blox-warm-up';

/**
 * One unmeasured join through Blox itself before the measured one, so the measured join meets a
 * Blox that has been running (a deployment's scheduler is a long-lived process when its fleet
 * scales; a fresh one runs its ingest, store, index and planning code cold, before V8 has compiled
 * it). Environment `blox-warm-up` on a scratch cluster of `instances` (emulator throttling off
 * meanwhile): every instance gets its daemon task, then the instances terminate (their tasks stop),
 * Blox takes every event of it off the queue, and the environment and the cluster are deleted.
 * Then waits until the scheduler's own StartTask pacing bucket (ECS's modify bucket, 100 + 40/s)
 * has refilled, so the measured join starts with the burst ECS grants an idle account.
 */
async function warmBlox(emu: ChildHandle, call: Call, instances: number, throttling: boolean): Promise<void> {
  await emu.call('throttling', { enabled: false });
  try {
    const td = await emu.call<string>('cluster', { cluster: BLOX_WARM_UP, family: BLOX_WARM_UP });
    const env = await deployEmpty(call, BLOX_WARM_UP, td, 10, BLOX_WARM_UP);
    await emu.call('scale', { cluster: BLOX_WARM_UP, instances });
    await emu.call('runningAt', { group: env.group, count: instances, timeoutMs: 120_000 }, 130_000);
    const { last } = await emu.call<{ last: number }>('created', { group: env.group });
    await emu.call('scale', { cluster: BLOX_WARM_UP, instances: 0 });
    await waitFor(
      'the warm-up tasks stopped',
      async () => (await emu.call<number>('running', { group: env.group })) === 0,
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    // Past the emulator's event hold, every event of the warm-up is queued; then Blox has
    // committed each once the queue is empty (it deletes a message after its write). Only then is
    // the environment deleted, so it has no task left to stop.
    await new Promise((r) => setTimeout(r, 500));
    await waitFor('Blox took every warm-up event', async () => (await emu.call<number>('queued')) === 0, {
      timeoutMs: 60_000,
      intervalMs: 50,
    });
    await call('DELETE', `/v1/environments/${BLOX_WARM_UP}`);
    // Gone from ListClusters, so no reconcile describes it during the measured join.
    await emu.call('deleteCluster', { cluster: BLOX_WARM_UP });
    const refilled = last + (MODIFY_BURST / MODIFY_PER_S) * 1000 + 100;
    if (epochMs() < refilled) await new Promise((r) => setTimeout(r, refilled - epochMs()));
  } finally {
    await emu.call('throttling', { enabled: throttling });
  }
}

/** Deploys `taskDefinition` as an update of `bench`; answers the new deployment's id. */
async function deployUpdate(call: Call, taskDefinition: string): Promise<string> {
  const cur = await call('GET', '/v1/environments/bench');
  const upd = await call('PUT', `/v1/environments/bench?deploymentToken=${cur.deploymentToken}`, {
    taskDefinition,
  });
  return (await call('POST', `/v1/environments/bench/deployments?deploymentToken=${upd.deploymentToken}`)).id;
}

async function completed(call: Call, id: string, timeoutMs: number, env = 'bench'): Promise<void> {
  await waitFor(
    `deployment ${id} completes`,
    async () => (await call('GET', `/v1/environments/${env}/deployments/${id}`)).status === 'completed',
    { timeoutMs, intervalMs: 50 },
  );
}

/**
 * One run with the emulator in its own process and Blox composed here as `blox up` composes it
 * (default ingest pollers, reconcile interval and retention of `blox up`).
 */
export async function oneRun(
  backend: Backend,
  n: number,
  o: RunOptions,
  /** Diagnosis only (a profiling script): sees the composed Blox before the instances join. */
  probe?: (blox: ComposedBlox) => void,
): Promise<RunResult> {
  const ts = epochMs();
  const emu = await startChild(
    EMULATOR,
    {
      taskStartDelayMs: o.startDelayMs,
      taskStopDelayMs: 150,
      throttling: o.throttling,
      reorderHoldMs: 20,
      seed: 7,
    },
    EMULATOR_CHILD,
  );
  const dir = await tempDir('blox-bench-sched-');
  try {
    const { endpoint, region } = await emu.call<{ endpoint: string; region: string }>('endpoint');
    const aws = { endpoint, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
    // Warm, as the AWS it stands in for (emulator-child.ts `warm` says why); before Blox exists.
    await emu.call('warm', { instances: WARM_UP_INSTANCES }, 120_000);
    const td1 = await emu.call<string>('cluster', { cluster: 'bench', family: 'daemon' });
    const store =
      backend.backend === 'sqlite'
        ? await openStore({ backend: 'sqlite', dataDir: dir.path })
        : await openStore({ backend: 'etcd', endpoints: backend.endpoints, namespace: backend.namespace });
    const ecs = createEcsClient(aws);
    const sqs = createSqsClient(aws);
    const blox = await composeBlox({
      store,
      logger: silentLogger,
      ecs,
      ingest: { sqs, queue: 'blox_queue' },
      reconcileIntervalMs: 300_000,
      retentionMs: 3_600_000,
    });
    try {
      await blox.state.ready;
      const call: Call = async (method, url, payload) => {
        const res = await blox.app.inject({
          method,
          url,
          ...(payload !== undefined ? { payload: payload as object } : {}),
        });
        if (res.statusCode >= 300)
          throw new Error(`${method} ${url} answered ${res.statusCode}: ${res.body}`);
        return res.body ? JSON.parse(res.body) : undefined;
      };
      if (o.warmBlox > 0) await warmBlox(emu, call, o.warmBlox, o.throttling);
      const env = await deployEmpty(call, 'bench', td1, o.rollingPct);
      const dup0 = await emu.call<number>('duplicates');
      probe?.(blox);
      // Where the join's time goes: when the last registration reached the scheduler's informer
      // (a set insert per instance change: nothing next to the ingest and planning it follows).
      const seen = new Set<string>();
      let visibleAt = Number.NaN;
      const unsubscribe = blox.scheduler.informer.onEvent((e) => {
        if (e.kind !== 'instance' || !e.instance || seen.has(e.instance.arn)) return;
        seen.add(e.instance.arn);
        if (seen.size === n) visibleAt = epochMs();
      });
      const setup = epochMs() - ts;
      // The instances have joined once ECS has registered them (their events are on their way):
      // the clock starts there, not before the emulator's own registration work.
      const scaled = await emu.call<{ before: number; after: number }>('scale', {
        cluster: 'bench',
        instances: n,
      });
      const allRunning = await emu.call<number>(
        'runningAt',
        { group: env.group, count: n, timeoutMs: JOIN_TIMEOUT_MS },
        JOIN_TIMEOUT_MS + 10_000,
      );
      const created = await emu.call<{ first: number; last: number }>('created', { group: env.group });
      const result: RunResult = {
        setup,
        register: scaled.after - scaled.before,
        join: allRunning - scaled.after,
        firstStart: created.first - scaled.after,
        lastStart: created.last - scaled.after,
        visible: visibleAt - scaled.after,
        duplicates: (await emu.call<number>('duplicates')) - dup0,
      };
      unsubscribe();
      if (!o.rolling) return result;

      const td2 = await emu.call<string>('taskDefinition', { family: 'daemon' });
      await emu.call('watchAvailability', { group: env.group, eligible: n });
      const t1 = epochMs();
      const d2 = await deployUpdate(call, td2);
      const updated = await emu.call<number>(
        'runningAt',
        { group: env.group, count: n, taskDefinitionArn: td2, timeoutMs: 600_000 },
        610_000,
      );
      // Asked only once every task runs the new revision: no polling while the update is measured.
      await completed(call, d2, 60_000);
      return {
        ...result,
        rolling: Math.max(updated, epochMs()) - t1,
        rollingMax: await emu.call<number>('maxUnavailable'),
        duplicates: (await emu.call<number>('duplicates')) - dup0,
      };
    } finally {
      await blox.close();
      ecs.destroy();
      sqs.destroy();
      await store.close();
    }
  } finally {
    await emu.stop();
    await dir.cleanup();
  }
}

/** The former layout: emulator, state service and scheduler in this one process (test stack). */
async function oneProcessRun(backend: Backend, n: number, startDelayMs: number): Promise<number> {
  const stack = await startStack(backend, { taskStartDelayMs: startDelayMs, throttling: true, pollers: 4 });
  try {
    const cluster = await createCluster(stack.ecs, 'bench');
    const td = await registerTaskDefinition(stack.ecs, 'daemon');
    const call: Call = async (method, url, payload) => (await stack.call(method, url, payload)).body;
    const env = await deployEmpty(call, cluster, td, 10);
    stack.aws.ecs.fleet.scale('bench', n);
    const t0 = epochMs();
    return (await stack.timeline.runningAt(env.group, n, undefined, JOIN_TIMEOUT_MS)) - t0;
  } finally {
    await stack.close();
  }
}

/**
 * The emulator alone (its own process, same options, no Blox): n instances, n/10 StartTask calls
 * from this process (the actuator's transport), until every task is RUNNING (the emulator's own
 * epoch clock).
 */
export async function emulatorAlone(n: number, startDelayMs: number): Promise<number> {
  const emu = await startChild(
    EMULATOR,
    {
      taskStartDelayMs: startDelayMs,
      taskStopDelayMs: 150,
      throttling: false,
      reorderHoldMs: 20,
      seed: 7,
    },
    EMULATOR_CHILD,
  );
  let ecs: ECSClient | undefined;
  try {
    const { endpoint, region } = await emu.call<{ endpoint: string; region: string }>('endpoint');
    ecs = createEcsClient({
      endpoint,
      region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await emu.call('warm', { instances: WARM_UP_INSTANCES }, 120_000);
    const td = await emu.call<string>('cluster', { cluster: 'bench', family: 'daemon' });
    const scaled = await emu.call<{ after: number }>('scale', { cluster: 'bench', instances: n });
    const arns = await emu.call<string[]>('instanceArns', { cluster: 'bench' });
    const done = emu.call<number>(
      'runningAt',
      { group: 'alone', count: n, timeoutMs: JOIN_TIMEOUT_MS },
      JOIN_TIMEOUT_MS + 10_000,
    );
    const t0 = Math.max(scaled.after, epochMs());
    // Through the transport Blox's actuator calls StartTask with (src/aws/ecs-transport.ts), not
    // the SDK's own deserialiser: the ceiling is the emulator's, not a heavier client's.
    const transport = ecsTransportFor(ecs);
    await pool(Math.ceil(n / 10), ACTUATOR_CONCURRENCY, (b) =>
      transport.startTask({
        cluster: 'bench',
        taskDefinition: td,
        group: 'alone',
        containerInstances: arns.slice(b * 10, b * 10 + 10),
      }),
    );
    return (await done) - t0;
  } finally {
    ecs?.destroy();
    await emu.stop();
  }
}

function logRun(backendName: string, n: number, what: string, r: number, x: RunResult): void {
  console.error(
    `  scheduling ${backendName} n=${n} ${what} run ${r + 1}: setup ${Math.round(x.setup)} ms, register ${Math.round(x.register)} ms, all registrations visible ${Math.round(x.visible)} ms, first/last StartTask accepted ${Math.round(x.firstStart)}/${Math.round(x.lastStart)} ms, join ${Math.round(x.join)} ms, duplicates ${x.duplicates}` +
      (x.rolling !== undefined
        ? `, rolling ${Math.round(x.rolling)} ms, max unavailable ${x.rollingMax}`
        : '') +
      `, load ${load()[0]}`,
  );
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
              warmBlox: plan.bloxWarmUp,
            }),
          );
          logRun(backendName, n, 'throttled', r, runs.at(-1)!);
        }
        const starts = Math.ceil(n / 10);
        const joinBound = paceBoundMs(n, plan.startDelayMs);
        const common = {
          backend: backendName,
          size: n,
          sizeLabel: `${n.toLocaleString('en-US')} instances`,
          loadStart: l0,
        } as const;
        const boundLabel = `ECS-limit bound (${starts} StartTask of 10, modify bucket 100 + 40/s) + ${plan.startDelayMs} ms start delay`;
        figures.add({
          ...common,
          name: 'join: every instance runs its daemon task',
          unit: 'ms',
          better: 'lower',
          runs: runs.map((x) => x.join),
          ceiling: { label: boundLabel, median: joinBound, unit: 'ms' },
          note: `emulator throttling on at ECS rates, in its own process (AWS is remote), warmed up by an unmeasured 1,000-instance join on a scratch cluster it then deletes; Blox composed as \`blox up\` in the measuring process, state through SQS events, ingest and the index, warmed up by an unmeasured join of its own (an environment on a scratch cluster of ${plan.bloxWarmUp.toLocaleString('en-US')} instances: every one gets its task, then the instances terminate, the environment and cluster are deleted and the scheduler's StartTask bucket refills); timed on the emulator's epoch clock from the moment it has registered every instance (its registration work, ending with a scavenge of that work's garbage so the debt does not fall in the join, median ${Math.round(summarize(runs.map((x) => x.register)).median)} ms, comes before) to the change that made the n-th daemon task RUNNING.`,
        });
        figures.add({
          ...common,
          name: 'join: duplicate daemon tasks',
          unit: 'tasks',
          better: 'lower',
          runs: runs.map((x) => x.duplicates),
        });
        // Where the join's time goes: the bound leaves (target − 1) × bound for everything from
        // "registered" to "the last StartTask accepted"; these split that part in two.
        figures.add({
          ...common,
          name: 'join breakdown: every registration visible to the scheduler (SQS → ingest → index → informer)',
          unit: 'ms',
          better: 'lower',
          runs: runs.map((x) => x.visible),
          note: 'from every instance registered with ECS until the last registration reached the scheduler’s informer (the measuring process’s epoch clock).',
        });
        figures.add({
          ...common,
          name: 'join breakdown: the last daemon task accepted by ECS (StartTask)',
          unit: 'ms',
          better: 'lower',
          runs: runs.map((x) => x.lastStart),
          ceiling: {
            label: `what the 1.2× target leaves between registration and the last StartTask: 0.2 × ${Math.round(joinBound)} ms`,
            median: 0.2 * joinBound,
            unit: 'ms',
          },
          note:
            'from every instance registered until the emulator accepted the last daemon task (its own clock); the first was accepted after a median of ' +
            `${Math.round(summarize(runs.map((x) => x.firstStart)).median)} ms.`,
        });
        if (n === plan.oneProcessAt) {
          const single: number[] = [];
          for (let r = 0; r < ctx.runs; r++) {
            single.push(await oneProcessRun(backendOf(backendName), n, plan.startDelayMs));
            console.error(
              `  scheduling ${backendName} n=${n} one-process run ${r + 1}: join ${Math.round(single.at(-1)!)} ms, load ${load()[0]}`,
            );
          }
          figures.add({
            ...common,
            name: 'join, emulator in the measuring process (former layout, not the target): every instance runs its daemon task',
            unit: 'ms',
            better: 'lower',
            runs: single,
            ceiling: { label: boundLabel, median: joinBound, unit: 'ms' },
            note: "the test stack: the emulator's registration, StartTask placement, ~20 events per StartTask and SQS answers share one event loop with Blox, which no deployment has; kept to compare with the former figures.",
          });
        }
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
          note: 'from the update deployment request until the emulator has every task RUNNING on the new revision and the deployment reads completed.',
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
          note: "observed on the emulator's own task change feed (its process), at every change.",
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
              warmBlox: plan.bloxWarmUp,
            }),
          );
          logRun(
            backendName,
            n,
            `unthrottled (emulator alone ${Math.round(ceiling.at(-1)!)} ms)`,
            r,
            runs.at(-1)!,
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
          note: 'emulator throttling off, in its own process, warmed up as above (the ECS-limit-bound case is the throttled join above); the scheduler still paces its calls at ECS rates, as it must against ECS. Ceiling: the larger of that pace and the emulator alone (its own process, same options and warm-up, the same StartTask calls through the ECS transport of the actuator, no Blox).',
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

/* eslint-disable @typescript-eslint/no-explicit-any -- the results JSON is read loosely to render the report */
/**
 * Daemon scheduler benchmarks (see docs/benchmarks.md, section "scheduler"):
 *
 *   npx tsx bench/scheduler.bench.ts planner   # 10,000 instances × 100 environments
 *   npx tsx bench/scheduler.bench.ts fleet     # 1,000 instances join; then a rolling update at 10%
 *
 * Results: bench/results/scheduler.json (merged per benchmark) and the scheduler section of
 * docs/benchmarks.md. Every figure is the median of >= 3 runs with min and max.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { prepareCluster } from '../src/scheduler/daemon/cluster-view.js';
import { compileFilter } from '../src/scheduler/daemon/filter.js';
import { planPrepared, type PlannerEnvironment } from '../src/scheduler/daemon/planner.js';
import type { InstanceView, TaskView } from '../src/scheduler/framework/views.js';
import { createCluster, registerTaskDefinition } from '../test/scheduler/support/harness.js';
import { startStack } from '../test/scheduler/support/stack.js';
import { waitFor } from '../test/support/env.js';
import { machine, median, writeReport } from './state-report.js';

const root = new URL('..', import.meta.url).pathname;
const resultsPath = join(root, 'bench', 'results', 'scheduler.json');
type Results = Record<string, unknown> & { machine?: unknown };
const results: Results = existsSync(resultsPath)
  ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Results)
  : {};
const which = process.argv.slice(2);
const want = (name: string) => which.length === 0 || which.includes(name);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/bench';
const TD = (env: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/daemon-${env}:1`;

function plannerBench() {
  const loadStart = loadavg()[0]!;
  const N = 10_000;
  const E = 100;
  const zones = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
  const instances: InstanceView[] = Array.from({ length: N }, (_, i) => ({
    arn: `arn:aws:ecs:us-east-1:123456789012:container-instance/bench/${i.toString(16).padStart(32, '0')}`,
    clusterArn: CLUSTER,
    status: i % 200 === 0 ? 'DRAINING' : 'ACTIVE',
    agentConnected: true,
    attributes: { 'ecs.availability-zone': zones[i % 3]!, stack: i % 2 ? 'prod' : 'dev' },
    runningTasksCount: E,
    version: 1,
  }));
  const envs: PlannerEnvironment[] = Array.from({ length: E }, (_, e) => ({
    name: `env-${e}`,
    group: `blox:env-${e}:${e.toString(16).padStart(8, '0')}`,
    clusterArn: CLUSTER,
    mode: 'steady',
    revision: 1,
    taskDefinition: TD(e),
    deploymentId: `d-${e}`,
    // A fifth of the environments target a subset (attributes or a cluster query).
    ...(e % 10 === 1 ? { filter: compileFilter({ attributes: [{ name: 'stack', value: 'prod' }] }) } : {}),
    ...(e % 10 === 2
      ? { filter: compileFilter({ query: 'attribute:ecs.availability-zone in [us-east-1a, us-east-1b]' }) }
      : {}),
    maxUnavailable: '10%',
    foreignTasks: 'ignore',
  }));
  // Converged: every environment runs one task on every instance it targets (up to 1,000,000 tasks).
  const tasks: TaskView[] = [];
  const prep = prepareCluster(CLUSTER, instances, []);
  for (const env of envs) {
    const eligible = prep.eligibility(env.filter ?? compileFilter(undefined));
    for (let i = 0; i < N; i++) {
      if (!eligible[i] && instances[i]!.status !== 'DRAINING') continue;
      tasks.push({
        arn: `arn:aws:ecs:us-east-1:123456789012:task/bench/${env.name}-${i}`,
        clusterArn: CLUSTER,
        instanceArn: instances[i]!.arn,
        taskDefinitionArn: env.taskDefinition!,
        group: env.group,
        startedBy: env.deploymentId!,
        lastStatus: 'RUNNING',
        desiredStatus: 'RUNNING',
        version: 2,
      });
    }
  }
  // Real cluster state arrives as parsed JSON (flat strings); template-literal strings are V8 cons
  // strings that get re-flattened on every comparison, which would measure the benchmark, not the planner.
  const flat = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
  const flatInstances = flat(instances);
  for (let i = 0; i < instances.length; i++) instances[i] = flatInstances[i]!;
  for (let i = 0; i < tasks.length; i++) tasks[i] = flat(tasks[i]!);
  for (const env of envs) {
    env.group = flat(env.group);
    env.taskDefinition = flat(env.taskDefinition);
  }
  const pass = (view: ReturnType<typeof prepareCluster>) => {
    let actions = 0;
    for (const env of envs) actions += planPrepared(env, view, { now: Date.now() }).actions.length;
    return actions;
  };
  const runs = 7;
  const planOnly: number[] = [];
  const prepareMs: number[] = [];
  const fresh: number[] = [];
  let actions = 0;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    prepareCluster(CLUSTER, instances, tasks);
    prepareMs.push(performance.now() - t0);
  }
  const view = prepareCluster(CLUSTER, instances, tasks);
  const empty = prepareCluster(CLUSTER, instances, []);
  pass(view); // warm-up (JIT, filter eligibility cache)
  // Converged passes first, then fresh ones: a fresh pass allocates a million start actions,
  // whose collection would otherwise land in the next measurement.
  for (let r = 0; r < runs; r++) {
    const t1 = performance.now();
    actions = pass(view);
    planOnly.push(performance.now() - t1);
  }
  pass(empty);
  for (let r = 0; r < runs; r++) {
    const t3 = performance.now();
    pass(empty);
    fresh.push(performance.now() - t3);
  }
  const withPrepare = [median(prepareMs).median + median(planOnly).median];
  results.planner = {
    instances: N,
    environments: E,
    tasks: tasks.length,
    actionsConverged: actions,
    planPassMs: median(planOnly),
    prepareMs: median(prepareMs),
    prepareAndPlanMs: median(withPrepare),
    freshPassMs: median(fresh),
    targetMs: 50,
    met: median(planOnly).median <= 50,
    runs,
    loadAverage: { start: loadStart, end: loadavg()[0]! },
  };
  console.log(JSON.stringify(results.planner));
}

async function fleetBench() {
  const loadStart = loadavg()[0]!;
  const N = 1000;
  const startDelayMs = 1000;
  const join: number[] = [];
  const seen: number[] = [];
  const joinDup: number[] = [];
  const rolling: number[] = [];
  const rollingMax: number[] = [];
  const rollingDup: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const stack = await startStack(
      { backend: 'sqlite' },
      { taskStartDelayMs: startDelayMs, throttling: true },
    );
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
      ).body;
      const d = await stack.call(
        'POST',
        `/v1/environments/bench/deployments?deploymentToken=${env.deploymentToken}`,
      );
      await waitFor(
        'empty deployment completes',
        async () =>
          (await stack.call('GET', `/v1/environments/bench/deployments/${d.body.id}`)).body.status ===
          'completed',
        { timeoutMs: 30_000 },
      );
      const dupBefore = stack.timeline.duplicates.length;
      const t0 = performance.now();
      stack.aws.ecs.fleet.scale('bench', N);
      let seenAt = 0;
      await waitFor(
        'every instance runs its daemon task',
        () => {
          if (!seenAt && stack.scheduler.informer.instances(cluster).length >= N)
            seenAt = performance.now() - t0;
          return stack.timeline.running(env.group) === N;
        },
        { timeoutMs: 120_000, intervalMs: 10 },
      );
      join.push(performance.now() - t0);
      seen.push(seenAt);
      joinDup.push(stack.timeline.duplicates.length - dupBefore);

      const td2 = await registerTaskDefinition(stack.ecs, 'daemon');
      const cur = (await stack.call('GET', '/v1/environments/bench')).body;
      const upd = (
        await stack.call('PUT', `/v1/environments/bench?deploymentToken=${cur.deploymentToken}`, {
          taskDefinition: td2,
        })
      ).body;
      stack.timeline.watchAvailability(env.group, () => N);
      const t1 = performance.now();
      const d2 = await stack.call(
        'POST',
        `/v1/environments/bench/deployments?deploymentToken=${upd.deploymentToken}`,
      );
      await waitFor(
        'rollout completes',
        async () =>
          stack.timeline.running(env.group, td2) === N &&
          (await stack.call('GET', `/v1/environments/bench/deployments/${d2.body.id}`)).body.status ===
            'completed',
        { timeoutMs: 300_000, intervalMs: 50 },
      );
      rolling.push(performance.now() - t1);
      rollingMax.push(stack.timeline.maxUnavailable);
      rollingDup.push(stack.timeline.duplicates.length - dupBefore);
      console.log(
        `run ${run + 1}: join ${Math.round(join.at(-1)!)} ms, rolling ${Math.round(rolling.at(-1)!)} ms, max unavailable ${rollingMax.at(-1)}`,
      );
    } finally {
      await stack.close();
    }
  }
  // The bound from ECS limits: ceil(N/10) StartTask calls through the modify bucket (burst 100, 40/s), then the start delay.
  const calls = Math.ceil(N / 10);
  const boundMs = (Math.max(0, calls - 100) / 40) * 1000 + startDelayMs;
  const j = median(join);
  results.join = {
    instances: N,
    startTaskCalls: calls,
    taskStartDelayMs: startDelayMs,
    boundMs,
    timeMs: j,
    ratio: Math.round((j.median / boundMs) * 100) / 100,
    stateSeenAllMs: median(seen),
    schedulerShareMs: median(join.map((t, i) => t - seen[i]!)),
    schedulerRatio: Math.round((median(join.map((t, i) => t - seen[i]!)).median / boundMs) * 100) / 100,
    target: '<= 1.2 x bound',
    met: j.median <= 1.2 * boundMs,
    duplicates: Math.max(...joinDup),
    runs: RUNS,
    loadAverage: { start: loadStart, end: loadavg()[0]! },
  };
  // Rolling: N StopTask + ceil(N/10) StartTask calls through the same bucket.
  const rollingCalls = N + calls;
  results.rolling = {
    instances: N,
    maxUnavailable: '10% (100)',
    modifyCalls: rollingCalls,
    throttleFloorMs: (Math.max(0, rollingCalls - 100) / 40) * 1000,
    timeMs: median(rolling),
    largestUnavailableSeen: Math.max(...rollingMax),
    met: Math.max(...rollingMax) <= 100,
    duplicates: Math.max(...rollingDup),
    runs: RUNS,
  };
  console.log(JSON.stringify({ join: results.join, rolling: results.rolling }));
}

function section(): string {
  const m = results.machine as ReturnType<typeof machine>;
  const f = (x: { median: number; min: number; max: number }, d = 0) =>
    `${x.median.toFixed(d)} (min ${x.min.toFixed(d)}, max ${x.max.toFixed(d)})`;
  const lines = [
    '## Daemon scheduler',
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, commit ${m.commit}, ${m.date}. Reproduce: \`npx tsx bench/scheduler.bench.ts [planner|fleet]\`.`,
    '',
  ];
  const p = results.planner as Record<string, any> | undefined;
  if (p)
    lines.push(
      `**Planner** — ${p.instances.toLocaleString('en')} instances × ${p.environments} environments, ${p.tasks.toLocaleString('en')} tasks (converged; a fifth of the environments filter by attribute or cluster query), ${p.runs} runs after a warm-up:`,
      '',
      '| measure | ms, median (min, max) |',
      '|---|---|',
      `| full planning pass (100 plans over the prepared cluster view) | ${f(p.planPassMs, 1)} |`,
      `| cluster view build (indexing ${p.tasks.toLocaleString('en')} tasks; once per cluster change, shared by all environments) | ${f(p.prepareMs, 1)} |`,
      `| full pass on an empty cluster state (every start planned) | ${f(p.freshPassMs, 1)} |`,
      '',
      `Target ≤ ${p.targetMs} ms per full pass: **${p.met ? 'met' : 'not met'}** (1-minute load average ${p.loadAverage?.start?.toFixed(1)} → ${p.loadAverage?.end?.toFixed(1)} on 2 cores shared with other work). The view is built once per cluster change and shared by all environments of the cluster.`,
      '',
    );
  const j = results.join as Record<string, any> | undefined;
  if (j)
    lines.push(
      `**1,000 instances join at once** (emulator throttling on at ECS rates, task start delay ${j.taskStartDelayMs} ms; state through the SQS event stream, the state service (4 pollers, as \`blox up\`) and its index, in one process; SQLite store; ${j.runs} runs):`,
      '',
      `- time until every instance runs its daemon task: ${f(j.timeMs)} ms;`,
      `- bound from ECS limits: ${j.startTaskCalls} StartTask calls of 10 instances fit in the modify bucket's burst of 100 (0 ms of throttling) + ${j.taskStartDelayMs} ms start delay = ${j.boundMs} ms; ratio ${j.ratio}× (target ≤ 1.2×): **${j.met ? 'met' : 'not met'}**;`,
      `- where the time goes: the 1,000 registrations reach the scheduler's cache through the event pipeline (emulator → SQS → ingest → store → index) after ${f(j.stateSeenAllMs)} ms; from then until every task runs (planning, intents, StartTask, start delay) takes ${f(j.schedulerShareMs)} ms = ${j.schedulerRatio}× the bound (${j.schedulerRatio <= 1.2 ? 'within' : 'above'} 1.2×); the rest is the state service ingesting 1,000 events;`,
      `- duplicate daemon tasks on an instance at any moment: ${j.duplicates}. (v0.3: 10.35 s, set by its 10 s polling tick.) Load average ${j.loadAverage?.start?.toFixed(1)} → ${j.loadAverage?.end?.toFixed(1)}: other benchmarks shared the 2 cores, hence the spread.`,
      '',
    );
  const r = results.rolling as Record<string, any> | undefined;
  if (r)
    lines.push(
      `**Rolling update of 1,000 instances at maxUnavailable 10%** (same setup):`,
      '',
      `- time to completed: ${f(r.timeMs)} ms; ECS has no batch StopTask, so ${r.modifyCalls} modify calls go through the 40/s bucket: ≥ ${Math.round(r.throttleFloorMs)} ms from throttling alone;`,
      `- largest number of instances without a running daemon task at any moment (observed on the emulator's task timeline): ${r.largestUnavailableSeen} (limit 100): **${r.met ? 'met' : 'not met'}**; duplicates: ${r.duplicates}.`,
      '',
    );
  return lines.join('\n').trimEnd();
}

if (want('planner')) plannerBench();
if (want('fleet')) await fleetBench();
results.machine = machine();
writeReport('scheduler', results, section());
process.exit(0);

/**
 * The benchmark suite: every scenario, side by side in one run, with ceilings measured in the same run.
 *
 *   npm run bench                         # full: bench/results/suite.json + the suite section of docs/benchmarks.md
 *   npm run bench -- --quick              # small sizes, < 3 minutes (CI): bench/results/suite-quick.json + .md
 *   npm run bench -- --only api,stream    # some scenarios
 *   npm run bench -- --quick --out DIR    # write DIR/suite-quick.json and DIR/benchmarks.md instead
 *   options: --runs N (default 3), --backends sqlite,etcd, --verbose
 *
 * Each scenario runs in its own process group with a time bound; a scenario that fails or times out
 * is reported as failed (with its error) and the run goes on.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEtcd } from '../test/support/etcd.js';
import { startChild } from './lib/child.js';
import { emptyEtcd } from './lib/etcd.js';
import { load, machineInfo, reapedChildrenCpuMs } from './lib/machine.js';
import { writeOutputs } from './lib/report.js';
import { evaluateTargets, TARGETS } from './lib/targets.js';
import type { Figure, ScenarioContext, ScenarioOutcome, SuiteResult } from './lib/types.js';

/**
 * Scenarios in run order, with their time bound (quick, full) in seconds and whether they use
 * etcd (the suite starts one member for all of them and empties it after each).
 */
export const SCENARIOS: Array<{ name: string; quickS: number; fullS: number; etcd: boolean }> = [
  { name: 'store', quickS: 45, fullS: 300, etcd: true },
  { name: 'emulator', quickS: 45, fullS: 600, etcd: false },
  { name: 'ingest', quickS: 60, fullS: 1200, etcd: true },
  { name: 'api', quickS: 75, fullS: 1500, etcd: true },
  { name: 'stream', quickS: 45, fullS: 600, etcd: true },
  { name: 'reconcile', quickS: 60, fullS: 1500, etcd: true },
  { name: 'scheduling', quickS: 60, fullS: 1500, etcd: true },
  { name: 'planner', quickS: 30, fullS: 300, etcd: false },
  { name: 'up', quickS: 30, fullS: 120, etcd: false },
];

interface Args {
  quick: boolean;
  only?: string[];
  out?: string;
  runs: number;
  backends: Array<'sqlite' | 'etcd'>;
  verbose: boolean;
  /** With --only: keep the other scenarios' outcomes from the existing report file. */
  merge: boolean;
}

function usage(message: string): never {
  console.error(
    `bench: ${message}\nusage: npm run bench -- [--quick] [--only a,b] [--out DIR] [--runs N] [--backends sqlite,etcd] [--verbose] [--only a,b --merge]\nscenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}

export function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, runs: 3, backends: ['sqlite', 'etcd'], verbose: false, merge: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a === '--verbose') args.verbose = true;
    else if (a === '--merge') args.merge = true;
    else if (a === '--only') args.only = value().split(',').filter(Boolean);
    else if (a === '--out') args.out = value();
    else if (a === '--runs') {
      args.runs = Number(value());
      if (!Number.isInteger(args.runs) || args.runs < 1)
        usage('--runs needs a whole number ≥ 1 (3 or more for a median)');
    } else if (a === '--backends') {
      const b = value().split(',');
      if (b.some((x) => x !== 'sqlite' && x !== 'etcd'))
        usage('--backends takes sqlite, etcd or both (comma-separated)');
      args.backends = b as Args['backends'];
    } else usage(`unknown option '${a}'`);
  }
  for (const name of args.only ?? [])
    if (!SCENARIOS.some((s) => s.name === name)) usage(`unknown scenario '${name}'`);
  if (args.merge && !args.only)
    usage('--merge re-runs some scenarios into the existing report: name them with --only');
  return args;
}

async function runScenario(name: string, ctx: ScenarioContext, boundS: number): Promise<ScenarioOutcome> {
  const t0 = performance.now();
  const cpu0 = reapedChildrenCpuMs();
  console.error(`\n▶ ${name} (bound ${boundS} s, load ${load().join(', ')})`);
  const streamed: Figure[] = [];
  let figures: Figure[] | undefined;
  let error: string | undefined;
  try {
    const child = await startChild(
      new URL('./lib/scenario-child.ts', import.meta.url).pathname,
      { scenario: name, ctx },
      {
        ownGroup: true,
        verbose: true, // progress lines and errors of the scenario
        onFigure: (f) => streamed.push(f as Figure),
      },
    );
    try {
      const out = await child.call<{ figures: Figure[]; error?: string }>('run', undefined, boundS * 1000);
      figures = out.figures;
      error = out.error;
    } finally {
      await child.stop();
    }
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpuSeconds = (reapedChildrenCpuMs() - cpu0) / 1000;
  const cost = `${seconds.toFixed(1)} s (CPU ${cpuSeconds.toFixed(1)} s, load ${load()[0]})`;
  if (error) console.error(`✗ ${name} failed after ${cost}: ${error.split('\n').slice(0, 3).join(' ')}`);
  else console.error(`✓ ${name} in ${cost}`);
  const machine = machineInfo();
  return {
    scenario: name,
    status: error ? 'failed' : 'ok',
    ...(error ? { error } : {}),
    commit: machine.commit + (machine.dirty ? '+' : ''),
    date: machine.date,
    seconds,
    ...(Number.isFinite(cpuSeconds) ? { cpuSeconds } : {}),
    figures: figures ?? streamed,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = new URL('..', import.meta.url).pathname;
  const suite = args.quick ? 'quick' : 'full';
  const base = args.quick ? 'suite-quick' : 'suite';
  const jsonPath = args.out
    ? join(resolve(args.out), `${base}.json`)
    : join(root, 'bench', 'results', `${base}.json`);
  // A quick run never overwrites the committed full-run summary unless asked to (--out).
  const mdPath = args.out
    ? join(resolve(args.out), 'benchmarks.md')
    : args.quick
      ? join(root, 'bench', 'results', 'suite-quick.md')
      : join(root, 'docs', 'benchmarks.md');
  const started = performance.now();
  const loadStart = load();
  const cpuStart = reapedChildrenCpuMs();
  const selected = SCENARIOS.filter((s) => !args.only || args.only.includes(s.name));
  // One etcd member for the whole suite (starting one per scenario cost seconds each).
  const etcd = args.backends.includes('etcd') && selected.some((s) => s.etcd) ? await startEtcd() : undefined;
  const ctx: ScenarioContext = {
    quick: args.quick,
    runs: args.runs,
    backends: args.backends,
    verbose: args.verbose,
    ...(etcd ? { etcdEndpoints: etcd.endpoints } : {}),
  };
  const outcomes: ScenarioOutcome[] = [];
  try {
    for (const s of selected) {
      outcomes.push(await runScenario(s.name, ctx, args.quick ? s.quickS : s.fullS));
      if (etcd && s.etcd)
        await bounded(emptyEtcd(etcd.endpoints), 120_000).catch((err: unknown) =>
          console.error(`bench: could not empty etcd after ${s.name}: ${String(err)}`),
        );
    }
  } finally {
    await etcd?.stop();
  }
  const cpu = (reapedChildrenCpuMs() - cpuStart) / 1000;
  if (args.merge) {
    // Re-run scenarios replace theirs; the others keep their figures (each outcome names its
    // commit and date, and the report lists them).
    const previous = JSON.parse(readFileSync(jsonPath, 'utf8')) as SuiteResult;
    const fresh = new Map(outcomes.map((o) => [o.scenario, o]));
    const kept = previous.scenarios.filter((o) => !fresh.has(o.scenario));
    outcomes.splice(0, outcomes.length, ...kept, ...fresh.values());
    outcomes.sort(
      (a, b) =>
        SCENARIOS.findIndex((s) => s.name === a.scenario) - SCENARIOS.findIndex((s) => s.name === b.scenario),
    );
  }
  const result: SuiteResult = {
    suite,
    machine: machineInfo(),
    load: { start: loadStart, end: load() },
    runs: args.runs,
    seconds: args.merge
      ? outcomes.reduce((sum, o) => sum + o.seconds, 0)
      : (performance.now() - started) / 1000,
    ...(args.merge
      ? { cpuSeconds: outcomes.reduce((sum, o) => sum + (o.cpuSeconds ?? 0), 0) }
      : Number.isFinite(cpu)
        ? { cpuSeconds: cpu }
        : {}),
    scenarios: outcomes,
    targets: evaluateTargets(TARGETS, outcomes),
  };
  const command = `npm run bench${args.quick ? ' -- --quick' : ''}`;
  writeOutputs(result, jsonPath, mdPath, command);
  const met = result.targets.filter((t) => t.status === 'met').length;
  console.error(
    `\nsuite (${suite}) done in ${result.seconds.toFixed(0)} s (CPU ${fmtCpu(result.cpuSeconds)} s, load ${load().join(', ')}): ${outcomes.filter((o) => o.status === 'ok').length}/${outcomes.length} scenarios ok; targets ${met}/${result.targets.length} met\nwrote ${jsonPath}\nwrote ${mdPath}`,
  );
}

/** `promise`, or a rejection after `ms` (so a stuck etcd cannot hang the suite). */
function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function fmtCpu(s: number | undefined): string {
  return s === undefined ? '–' : s.toFixed(0);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { count, fmt } from './figure.js';
import type { Figure, SuiteResult, TargetOutcome } from './types.js';

/** Where each scenario's area engineers document their own, more detailed benchmark. */
const DETAIL: Record<string, string> = {
  store: '[Store](#store)',
  emulator: '[Local ECS](#local-ecs-emulator), [Local SQS](#local-sqs-emulator)',
  ingest: '[Ingest](#state-service-sqs-ingest)',
  api: '[State API](#state-api)',
  stream: '[Streams](#state-streams)',
  reconcile: '[Reconcile](#state-service-reconciliation)',
  scheduling: '[Daemon scheduler](#daemon-scheduler)',
  planner: '[Daemon scheduler](#daemon-scheduler)',
  up: '',
};

/** What each scenario measures at which sizes in the full run, and why (bench/scenarios/*.ts). */
const SIZES_TEXT = [
  '**Sizes.** The full run measures each scenario at several sizes, a line per size in the growth table below:',
  'ingest throughput at 1,000 / 10,000 / 100,000 events, and end-to-end lag (emitted by the emulator → committed →',
  'visible in the index) with 1,000 / 10,000 / 100,000 tasks persisted; API latency, cold start and RSS (at ready and',
  'after queries) at 1,000 / 10,000 / 100,000 tasks with 1,000 instances; stream fan-out to 1 / 100 / 1,000 clients;',
  'reconcile of 100 / 1,000 / 10,000 instances with 1,000 / 10,000 / 100,000 tasks, throttling off (the largest on the',
  'embedded store only: a pass of 100,000 tasks takes minutes today, its cost growing faster than the size), and with throttling',
  'on at ECS rates at 1,000 / 10,000 only (at 100,000 tasks a throttled pass is ~2,200 reads at 20 per second, two',
  'minutes a run, and its ratio to the throttle-bound minimum is the same); daemon join of 100 and 1,000 instances with',
  'throttling on (ratio to the ECS-limit bound) and of 1,000 and 10,000 with throttling off (ratio to the emulator alone',
  'making the same StartTask calls; at 10,000 the ECS limits alone would make it ~23 s of waiting on the modify bucket); the',
  'rolling update at 1,000 instances only (with 10% waves it is 10 waves at any size: at 100 instances it would time the',
  "1-s task start delay ten times, at 1,000 it is throttle-bound, the target's case); planner at 1,000 / 10,000 instances.",
  'The quick run (`--quick`, CI: it checks that the report is produced, never the numbers) measures one small size per',
  'scenario with the same median of 3 and same-run ceilings, a shorter task start delay and a rolling update in 4 waves.',
];

const BACKEND: Record<string, string> = { sqlite: 'embedded', etcd: 'etcd', none: '–' };

/** The suite's markdown section (without its markers). Pure. */
export function renderSection(r: SuiteResult, command: string): string {
  const m = r.machine;
  const figures = r.scenarios.flatMap((s) => s.figures);
  const met = r.targets.filter((t) => t.status === 'met').length;
  const notMet = r.targets.filter((t) => t.status === 'not met').length;
  const unmeasured = r.targets.length - met - notMet;
  const lines = [
    `## Suite summary${r.suite === 'quick' ? ' (quick run)' : ''}`,
    '',
    `\`${command}\` (bench/run.ts) runs every scenario below in one go, each in its own process, on both the embedded`,
    'store (SQLite) and a local single-member etcd, and writes `bench/results/' +
      (r.suite === 'quick' ? 'suite-quick' : 'suite') +
      '.json` and this section. Every figure is the median of ' +
      `${r.runs} runs with min and max. Ceilings are measured in the same run (raw etcd3 / better-sqlite3 for store-bound`,
    "work, the emulator's own SQS and ECS capacity for work bound by it) or computed from the published ECS API limits",
    '(10 instances per StartTask, 100 per Describe, token buckets: cluster-resource read 100 burst / 20 per s, modify 100',
    'burst / 40 per s); "ratio" is the figure over its ceiling (a fraction of it for throughputs, a multiple of the bound',
    "for times). The detailed benchmarks of each area follow further down this page: each comes from that area's own",
    'benchmark (bench/*.bench.ts), run by its engineer at the commit and load it states, often on a busier machine;',
    'where a figure there differs from this summary, this summary (one run of everything, same machine state) is the reference.',
    '',
    ...SIZES_TEXT,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; commit ${m.commit}${m.dirty ? ' (with uncommitted changes of other engineers in the working tree)' : ''}; ${m.date}; whole suite ${fmt(r.seconds, 0)} s${r.cpuSeconds !== undefined ? ` (${fmt(r.cpuSeconds, 0)} CPU seconds)` : ''}.`,
    `Time per scenario, wall (CPU of its processes): ${r.scenarios.map((s) => `${s.scenario} ${fmt(s.seconds, 0)} s${s.cpuSeconds !== undefined ? ` (${fmt(s.cpuSeconds, 0)})` : ''}`).join(', ')}.`,
    ...(new Set(r.scenarios.map((s) => s.commit)).size > 1
      ? [
          `Scenarios were run at different commits ('+': with uncommitted changes): ${r.scenarios.map((s) => `${s.scenario} ${s.commit ?? '?'} (${s.date?.slice(0, 16) ?? '?'})`).join(', ')}.`,
        ]
      : []),
    `Load average (1, 5, 15 min) at start: ${r.load.start.join(', ')}; at end: ${r.load.end.join(', ')}. **The machine is shared with other engineers' work**: every`,
    'figure carries the 1-minute load average at its start and end (last column), and wall-clock figures on a loaded 2-core',
    'machine are far below what an idle one gives; compare figures against their same-run ceilings.',
    '',
    `**Targets: ${met} met, ${notMet} not met, ${unmeasured} not measured** (of ${r.targets.length}).`,
    '',
    '| target | store | measured (median, min–max) | ceiling / bound (same run) | ratio to ceiling | vs target | met | load (start/end) | details |',
    '|---|---|---:|---:|---:|---:|---|---:|---|',
    ...r.targets.map((t) => targetRow(t)),
    '',
  ];
  const failed = r.scenarios.filter((s) => s.status === 'failed');
  if (failed.length) {
    lines.push('**Failed scenarios** (the run went on without them):', '');
    for (const s of failed) lines.push(`- \`${s.scenario}\`: ${oneLine(s.error)}`);
    lines.push('');
  }
  lines.push(
    '### All figures',
    '',
    '| scenario | figure | store | size | median | min | max | ceiling / bound | ratio | load (start/end) |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...figures.map(
      (f) =>
        `| ${f.scenario} | ${f.name} | ${BACKEND[f.backend]} | ${f.sizeLabel} | ${fmt(f.median)} ${f.unit} | ${fmt(f.min)} | ${fmt(f.max)} | ${ceilingText(f)} | ${ratioText(f)} | ${fmt(f.load.start, 1)} / ${fmt(f.load.end, 1)} |`,
    ),
    '',
  );
  const notes = [
    ...new Set(figures.filter((f) => f.note).map((f) => `- ${f.scenario}, ${f.name}: ${f.note}`)),
  ];
  if (notes.length) lines.push(...notes, '');
  const growth = growthRows(figures);
  if (growth.length) {
    lines.push(
      '### Growth',
      '',
      'Each figure measured at several sizes, a line per size; "per unit vs smallest" is the cost per entity (time figures)',
      'or the rate (throughputs) relative to the smallest size: a value growing with size shows a super-linear cost.',
      '',
      '| scenario | figure | store | size | median | per unit vs smallest |',
      '|---|---|---|---:|---:|---:|',
      ...growth,
      '',
    );
  }
  return lines.join('\n').trimEnd();
}

function targetRow(t: TargetOutcome): string {
  const f = t.figure;
  const measured =
    f === undefined
      ? '–'
      : `${fmt(f.median)} ${f.unit} (${fmt(f.min)}–${fmt(f.max)})${f.size ? ` at ${f.sizeLabel}` : ''}`;
  const status =
    t.status === 'met'
      ? '**met**'
      : t.status === 'not met'
        ? '**not met**'
        : `not measured: ${t.reason ?? ''}`;
  const vs = t.ratioToTarget === undefined ? '–' : `${fmt(t.ratioToTarget, 2)}×`;
  return `| ${t.text} | ${BACKEND[t.backend]} | ${measured} | ${f ? ceilingText(f) : '–'} | ${f ? ratioText(f) : '–'} | ${vs} | ${status} | ${f ? `${fmt(f.load.start, 1)} / ${fmt(f.load.end, 1)}` : '–'} | ${DETAIL[t.scenario] ?? ''} |`;
}

function ceilingText(f: Figure): string {
  return f.ceiling ? `${f.ceiling.label}: ${fmt(f.ceiling.median)} ${f.ceiling.unit}` : '–';
}

function ratioText(f: Figure): string {
  return f.ratio === undefined || !Number.isFinite(f.ratio) ? '–' : `${fmt(f.ratio, 2)}×`;
}

/** Rows of figures measured at more than one size, per unit of size relative to the smallest. Pure. */
export function growthRows(figures: Figure[]): string[] {
  const groups = new Map<string, Figure[]>();
  for (const f of figures) {
    const k = `${f.scenario}\u0000${f.name}\u0000${f.backend}`;
    groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  const rows: string[] = [];
  for (const list of groups.values()) {
    const sizes = new Set(list.map((f) => f.size));
    if (sizes.size < 2) continue;
    const sorted = [...list].sort((a, b) => a.size - b.size);
    const first = sorted[0]!;
    const perUnit = (f: Figure) => (f.better === 'lower' ? f.median / f.size : f.median);
    for (const f of sorted) {
      const rel = perUnit(f) / perUnit(first);
      rows.push(
        `| ${f.scenario} | ${f.name} | ${BACKEND[f.backend]} | ${f.sizeLabel} | ${fmt(f.median)} ${f.unit} | ${f === first ? '1×' : Number.isFinite(rel) ? `${fmt(rel, 2)}×` : '–'} |`,
      );
    }
  }
  return rows;
}

function oneLine(s: string | undefined): string {
  return (s ?? 'unknown error').split('\n').slice(0, 2).join(' — ').replace(/\|/g, '\\|').slice(0, 400);
}

/**
 * Replaces the `name` section of a markdown document, or inserts it right after the first
 * `# ` heading (creating the document if needed). Never touches other sections. Pure.
 */
export function replaceSection(doc: string | undefined, name: string, body: string): string {
  const begin = `<!-- ${name}:begin -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${begin}\n${body}\n${end}`;
  const text = doc ?? '# Benchmarks\n';
  const b = text.indexOf(begin);
  const e = text.indexOf(end);
  if (b >= 0 && e > b) return text.slice(0, b) + block + text.slice(e + end.length);
  const heading = /^# .*$/m.exec(text);
  if (!heading) return `# Benchmarks\n\n${block}\n\n${text}`;
  const at = heading.index + heading[0].length;
  return `${text.slice(0, at)}\n\n${block}\n${text.slice(at).replace(/^\n*/, '\n')}`;
}

export function writeOutputs(
  result: SuiteResult,
  jsonPath: string,
  markdownPath: string,
  command: string,
): void {
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  mkdirSync(dirname(markdownPath), { recursive: true });
  // Re-read just before writing: other engineers' benchmarks write their own sections of this file.
  const doc = existsSync(markdownPath) ? readFileSync(markdownPath, 'utf8') : undefined;
  writeFileSync(markdownPath, replaceSection(doc, 'suite', renderSection(result, command)));
}

export { count };

/**
 * The benchmark suite keeps working: `npm run bench -- --quick --out <tmp>` produces the JSON and
 * the markdown report with every scenario present. Figures and met/not met are not asserted (a
 * shared machine decides those); the report's shape is. Also the harness's pure parts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { SCENARIOS } from '../../bench/run.js';
import { growthRows, replaceSection } from '../../bench/lib/report.js';
import { percentile, summarize } from '../../bench/lib/stats.js';
import { evaluateTargets, TARGETS } from '../../bench/lib/targets.js';
import type { Figure, SuiteResult } from '../../bench/lib/types.js';
import { Etcd3 } from 'etcd3';
import { emptyEtcd } from '../../bench/lib/etcd.js';
import { reapedChildrenCpuMs } from '../../bench/lib/machine.js';
import { ingestSizes } from '../../bench/scenarios/ingest.js';
import { reconcilePlan } from '../../bench/scenarios/reconcile.js';
import { schedulingPlan } from '../../bench/scenarios/scheduling.js';
import { tempDir } from '../support/env.js';
import { startEtcd } from '../support/etcd.js';

const root = new URL('../..', import.meta.url).pathname;

test('summarize and percentile', () => {
  assert.deepEqual(summarize([3, 1, 2]), { median: 2, min: 1, max: 3, runs: [3, 1, 2] });
  assert.equal(summarize([4, 1, 2, 3]).median, 2.5);
  assert.ok(Number.isNaN(summarize([]).median));
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50), 5);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
  assert.equal(percentile([7], 99), 7);
});

test('replaceSection inserts after the title, then replaces only its own section', () => {
  const doc = '# Benchmarks\n\n<!-- store:begin -->\nS\n<!-- store:end -->\n';
  const once = replaceSection(doc, 'suite', 'A');
  assert.equal(
    once,
    '# Benchmarks\n\n<!-- suite:begin -->\nA\n<!-- suite:end -->\n\n<!-- store:begin -->\nS\n<!-- store:end -->\n',
  );
  const twice = replaceSection(once, 'suite', 'B');
  assert.ok(twice.includes('<!-- suite:begin -->\nB\n<!-- suite:end -->'));
  assert.ok(twice.includes('<!-- store:begin -->\nS\n<!-- store:end -->'));
  assert.equal(twice.split('suite:begin').length, 2);
  assert.ok(replaceSection(undefined, 'suite', 'C').startsWith('# Benchmarks\n\n<!-- suite:begin -->\nC'));
});

function figure(p: Partial<Figure>): Figure {
  return {
    scenario: 'api',
    name: 'get p99',
    backend: 'sqlite',
    size: 100_000,
    sizeLabel: '100,000 tasks',
    unit: 'ms',
    better: 'lower',
    median: 4,
    min: 3,
    max: 6,
    runs: [3, 4, 6],
    load: { start: 1, end: 1 },
    ...p,
  };
}

test('targets: met, not met, wrong size, failed scenario', () => {
  const target = TARGETS.find((t) => t.id === 'api-get-sqlite')!;
  const ok = evaluateTargets(
    [target],
    [{ scenario: 'api', status: 'ok', seconds: 1, figures: [figure({})] }],
  );
  assert.equal(ok[0]!.status, 'met');
  const slow = evaluateTargets(
    [target],
    [{ scenario: 'api', status: 'ok', seconds: 1, figures: [figure({ median: 9 })] }],
  );
  assert.equal(slow[0]!.status, 'not met');
  assert.equal(slow[0]!.ratioToTarget, 9 / 5);
  const small = evaluateTargets(
    [target],
    [
      {
        scenario: 'api',
        status: 'ok',
        seconds: 1,
        figures: [figure({ size: 1000, sizeLabel: '1,000 tasks' })],
      },
    ],
  );
  assert.equal(small[0]!.status, 'not measured');
  assert.match(small[0]!.reason!, /1,000 tasks/);
  const failed = evaluateTargets(
    [target],
    [{ scenario: 'api', status: 'failed', error: 'boom\nstack', seconds: 1, figures: [] }],
  );
  assert.equal(failed[0]!.status, 'not measured');
  assert.match(failed[0]!.reason!, /boom/);
  const ratio = TARGETS.find((t) => t.id === 'store-etcd-put')!;
  const r = evaluateTargets(
    [ratio],
    [
      {
        scenario: 'store',
        status: 'ok',
        seconds: 1,
        figures: [figure({ scenario: 'store', name: 'put c=1', backend: 'etcd', ratio: 0.7 })],
      },
    ],
  );
  assert.equal(r[0]!.status, 'not met');
});

test('growth rows show per-entity cost relative to the smallest size', () => {
  const rows = growthRows([
    figure({ size: 1000, sizeLabel: '1k', median: 10 }),
    figure({ size: 10_000, sizeLabel: '10k', median: 200 }),
    figure({ name: 'alone', size: 5 }),
  ]);
  assert.equal(rows.length, 2);
  assert.match(rows[1]!, /\| 2× \|$/);
  // a figure that is 0 at the smallest size has no per-unit ratio (not "NaN×")
  const zero = growthRows([
    figure({ name: 'duplicates', size: 100, sizeLabel: '100', median: 0 }),
    figure({ name: 'duplicates', size: 1000, sizeLabel: '1,000', median: 0 }),
  ]);
  assert.match(zero[1]!, /\| – \|$/);
});

test('the full run has growth lines up to 100,000 entities; the quick run stays small', () => {
  const full = ingestSizes(false);
  assert.deepEqual(full.events, [1000, 10_000, 100_000]);
  assert.deepEqual(full.persisted, [1000, 10_000, 100_000]);
  const rec = reconcilePlan(false);
  assert.deepEqual(
    rec.sizes.map((s) => s.tasks),
    [1000, 10_000, 100_000],
  );
  assert.ok(rec.sizes.some((s) => s.tasks === rec.throttledAt && s.instances === 1000));
  const sch = schedulingPlan(false);
  assert.deepEqual(sch.throttled, [100, 1000]);
  assert.deepEqual(sch.unthrottled, [1000, 10_000]);
  assert.ok(sch.throttled.includes(sch.rollingAt) && sch.rollingPct === 10);
  // the quick run: one small size each, and the throttled pass / rolling update still measured
  const quickIngest = ingestSizes(true);
  assert.ok(Math.max(...quickIngest.events, ...quickIngest.persisted) <= 1000);
  const quickRec = reconcilePlan(true);
  assert.equal(quickRec.sizes.length, 1);
  assert.equal(quickRec.sizes[0]!.tasks, quickRec.throttledAt);
  const quickSch = schedulingPlan(true);
  assert.ok(quickSch.throttled.includes(quickSch.rollingAt));
});

test('reapedChildrenCpuMs counts the CPU of a child once it has exited', async () => {
  const before = reapedChildrenCpuMs();
  const child = spawn(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 300);']);
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok(reapedChildrenCpuMs() - before >= 100, `${reapedChildrenCpuMs() - before} ms`);
});

test('emptyEtcd leaves no key of any namespace behind', { timeout: 60_000 }, async () => {
  const etcd = await startEtcd();
  const client = new Etcd3({ hosts: etcd.endpoints });
  try {
    await client.put('a/1').value('x');
    await client.namespace('api100/').put('k').value('y');
    await client.put('\u00ff').value('z');
    await emptyEtcd(etcd.endpoints);
    assert.deepEqual(await client.getAll().keys(), []);
    await client.put('after').value('ok'); // still usable after compaction + defragmentation
    assert.equal(await client.get('after').string(), 'ok');
  } finally {
    client.close();
    await etcd.stop();
  }
});

test(
  'npm run bench -- --quick --out <dir> writes the JSON and markdown report with every scenario',
  { timeout: 900_000 },
  async () => {
    const dir = await tempDir('blox-bench-quick-');
    try {
      const child = spawn('npm', ['run', '--silent', 'bench', '--', '--quick', '--out', dir.path], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, stderr);
      const result = JSON.parse(await readFile(join(dir.path, 'suite-quick.json'), 'utf8')) as SuiteResult;
      assert.equal(result.suite, 'quick');
      assert.deepEqual(
        result.scenarios.map((s) => s.scenario),
        SCENARIOS.map((s) => s.name),
      );
      for (const s of result.scenarios)
        assert.ok(s.status === 'ok' || typeof s.error === 'string', s.scenario);
      assert.equal(result.targets.length, TARGETS.length);
      assert.ok(result.machine.cores >= 1 && result.machine.commit.length > 0);
      assert.equal(result.load.start.length, 3);
      const md = await readFile(join(dir.path, 'benchmarks.md'), 'utf8');
      assert.ok(md.startsWith('# Benchmarks\n\n<!-- suite:begin -->\n## Suite summary (quick run)'));
      assert.ok(md.includes('<!-- suite:end -->'));
      for (const t of TARGETS) assert.ok(md.includes(t.text), `report lists target: ${t.text}`);
      for (const s of SCENARIOS) assert.ok(result.scenarios.some((o) => o.scenario === s.name));
    } finally {
      await dir.cleanup();
    }
  },
);

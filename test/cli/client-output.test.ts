import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  colorEnabled,
  columnWidths,
  fitColumns,
  paint,
  renderData,
  renderTable,
  type Column,
} from '../../src/cli/client/output.js';
import { bar, ProgressPrinter, progressLine, snapshotOf } from '../../src/cli/client/progress.js';
import { age, taskDefinitionName } from '../../src/cli/client/entity-views.js';
import type { DeploymentView } from '../../src/cli/client/scheduler-client.js';

const columns: Array<Column<{ a: string; b: string }>> = [
  { header: 'NAME', value: (r) => r.a },
  { header: 'ARN', value: (r) => r.b, flexible: true },
];

describe('table rendering', () => {
  it('pads columns to their widest cell and separates them by two spaces', () => {
    const out = renderTable(
      [
        { a: 'x', b: 'short' },
        { a: 'longer', b: 'y' },
      ],
      columns,
    );
    assert.equal(out, 'NAME    ARN\nx       short\nlonger  y');
  });

  it('shrinks flexible columns with an ellipsis to fit the width, never below 12 characters', () => {
    const rows = [{ a: 'n', b: 'arn:aws:ecs:us-east-1:123456789012:task/default/abcdef' }];
    const out = renderTable(rows, columns, { width: 30 }).split('\n');
    assert.ok(
      out.every((l) => l.length <= 30),
      out.join('\n'),
    );
    assert.match(out[1]!, /…$/);
    const tiny = renderTable(rows, columns, { width: 5 }).split('\n');
    assert.equal(tiny[1]!.length, 'NAME'.length + 2 + 12);
  });

  it('leaves out droppable columns, lowest order first, only when shrinking is not enough', () => {
    const cols: Array<Column<{ a: string; b: string }>> = [
      { header: 'ID', value: (r) => r.a },
      { header: 'NOTE', value: (r) => r.b, flexible: true, dropOrder: 2 },
      { header: 'V', value: () => '12345', dropOrder: 1 },
    ];
    const rows = [{ a: 'abcdefghij', b: 'a fairly long note here' }];
    assert.equal(
      renderTable(rows, cols, { width: 80 }),
      'ID          NOTE                     V\nabcdefghij  a fairly long note here  12345',
    );
    assert.equal(
      renderTable(rows, cols, { width: 33 }),
      'ID          NOTE            V\nabcdefghij  a fairly long…  12345',
      'shrinking comes first',
    );
    assert.equal(
      renderTable(rows, cols, { width: 28 }),
      'ID          NOTE\nabcdefghij  a fairly long n…',
      'then V goes (lowest order)',
    );
    assert.equal(renderTable(rows, cols, { width: 20 }), 'ID\nabcdefghij', 'then NOTE; ID always stays');
    assert.deepEqual(fitColumns(rows, cols, { width: 20 }).keep, [0]);
  });

  it('keeps later rows aligned with minimum widths and can leave the header out', () => {
    const widths = columnWidths([{ a: 'abcdefgh', b: 'x' }], columns);
    assert.deepEqual(widths, [8, 3]);
    assert.equal(
      renderTable([{ a: 'a', b: 'b' }], columns, { minWidths: widths, noHeader: true }),
      'a         b',
    );
  });

  it('colours only when asked, and NO_COLOR or a pipe turn colour off', () => {
    const coloured = renderTable([{ a: 'RUNNING', b: 'x' }], [{ ...columns[0]!, color: () => 'green' }], {
      color: true,
    });
    assert.ok(coloured.includes('\u001b[32mRUNNING\u001b[39m'));
    assert.equal(paint('x', 'red', false), 'x');
    const tty = { isTTY: true } as NodeJS.WriteStream;
    const pipe = { isTTY: false } as NodeJS.WriteStream;
    const saved = { NO_COLOR: process.env.NO_COLOR, TERM: process.env.TERM };
    try {
      delete process.env.NO_COLOR;
      process.env.TERM = 'xterm';
      assert.equal(colorEnabled(tty), true);
      assert.equal(colorEnabled(pipe), false);
      process.env.NO_COLOR = '';
      assert.equal(colorEnabled(tty), false, 'NO_COLOR set (even empty) turns colour off');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('renders JSON and YAML', () => {
    assert.equal(renderData({ a: [1] }, 'json'), '{\n  "a": [\n    1\n  ]\n}');
    assert.equal(renderData({ a: [1] }, 'yaml'), 'a:\n  - 1');
  });

  it('shortens task definitions and ages', () => {
    assert.equal(taskDefinitionName('arn:aws:ecs:us-east-1:1:task-definition/web:3'), 'web:3');
    assert.equal(taskDefinitionName('web'), 'web');
    const now = Date.parse('2026-01-02T00:00:00Z');
    assert.equal(age('2026-01-01T23:59:15Z', now), '45s');
    assert.equal(age('2026-01-01T23:00:00Z', now), '60m');
    assert.equal(age('2026-01-01T20:00:00Z', now), '4h');
    assert.equal(age('2025-12-20T00:00:00Z', now), '13d');
    assert.equal(age(undefined, now), '-');
    assert.equal(age('not a date', now), '-');
  });
});

const deployment = (over: Partial<DeploymentView> = {}): DeploymentView => ({
  id: 'd1',
  environmentName: 'demo',
  status: 'running',
  state: 'in_progress',
  taskDefinition: 'arn:aws:ecs:us-east-1:1:task-definition/web:2',
  revision: 2,
  failedInstances: [],
  failures: [],
  createdAt: '2026-01-01T00:00:00Z',
  ...over,
});
const counts = { desired: 6, current: 6, updated: 3, available: 3, failed: 0, misscheduled: 0 };

describe('deployment progress', () => {
  it('draws updated / desired as a bar', () => {
    assert.equal(bar(0, 4, 8), '[--------]');
    assert.equal(bar(2, 4, 8), '[####----]');
    assert.equal(bar(4, 4, 8), '[########]');
    assert.equal(bar(0, 0, 4), '[####]', 'nothing desired is done');
    assert.equal(bar(9, 4, 4), '[####]');
  });

  it('shows counts, failures and the state on one line', () => {
    const line = progressLine(snapshotOf(deployment(), counts), { color: false, barWidth: 10 });
    assert.equal(line, 'revision 2  [#####-----]  3/6 updated  available 3  failed 0  in_progress');
    const failed = progressLine(
      snapshotOf(
        deployment({
          state: 'failed',
          counts: { ...counts, failed: 1 },
          failures: [
            { instance: 'i', reason: 'x' },
            { instance: 'j', reason: 'y' },
          ],
        }),
        counts,
      ),
      { color: false, barWidth: 10 },
    );
    assert.ok(failed.endsWith('failed 1  failures 2  failed'), failed);
    assert.match(
      progressLine(snapshotOf(deployment(), undefined), { color: false }),
      /waiting for the scheduler/,
    );
  });

  it('prefers live counts while running and the recorded ones once ended', () => {
    const recorded = { ...counts, updated: 6 };
    assert.equal(snapshotOf(deployment({ counts: recorded }), counts).counts, counts);
    assert.equal(snapshotOf(deployment({ state: 'completed', counts: recorded }), counts).counts, recorded);
  });

  it('redraws one line on a terminal and prints each change once elsewhere', () => {
    const tty: string[] = [];
    const p = new ProgressPrinter(true, (t) => tty.push(t));
    p.update('a');
    p.update('a');
    p.update('b');
    p.done();
    assert.deepEqual(tty, ['\r\u001b[2Ka', '\r\u001b[2Kb', '\n']);
    const log: string[] = [];
    const q = new ProgressPrinter(false, (t) => log.push(t));
    q.update('a');
    q.update('a');
    q.update('b');
    q.done();
    assert.deepEqual(log, ['a\n', 'b\n']);
  });
});

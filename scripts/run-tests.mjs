#!/usr/bin/env node
// Runs every test file under test/ and examples/ with node's test runner (TypeScript through tsx),
// then prints one closing line CI reads: "N passed, N failed, N skipped".
// Usage: node scripts/run-tests.mjs [substring filter ...]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function findTests(dir) {
  let out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(findTests(path));
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = [...findTests(join(root, 'test')), ...findTests(join(root, 'examples'))]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

mkdirSync(join(root, '.tmp'), { recursive: true });
const tap = join(root, '.tmp', `test-results-${process.pid}.tap`);
const concurrency = process.env.BLOX_TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=300000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'test', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
);

// The TAP summary is the source of truth for the counts.
const summary = {};
for (const line of readFileSync(tap, 'utf8').split('\n')) {
  const m = /^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$/.exec(line);
  if (m) summary[m[1]] = Number(m[2]);
}
rmSync(tap, { force: true });
const failed = (summary.fail ?? 0) + (summary.cancelled ?? 0);
const exitCode = result.status ?? 1;
console.log(
  `${summary.pass ?? 0} passed, ${failed} failed, ${(summary.skipped ?? 0) + (summary.todo ?? 0)} skipped`,
);
process.exit(failed > 0 ? 1 : exitCode);

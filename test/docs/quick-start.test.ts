import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort, tempDir, waitFor } from '../support/env.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The first command of the README's Quick start, as a user would paste it (comment dropped). */
function firstQuickStartCommand(readme: string): string {
  const section = /^## Quick start\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  assert.ok(section, 'the README has a "## Quick start" section');
  const block = /```(?:sh|bash|shell)\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'the Quick start has a shell code block');
  const line = block.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  assert.ok(line, 'the code block has a command');
  return line.replace(/\s+#.*$/, '').trim();
}

/**
 * better-sqlite3 has no prebuilt binary for this machine, and compiling it takes ~100 s. The
 * checkout's compiled binding is offered to prebuild-install as a local prebuild (the same
 * version, Node ABI and platform), so a fresh install takes seconds, as with a published binary.
 */
function localPrebuild(dir: string): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'node_modules/better-sqlite3/package.json'), 'utf8')) as {
    version: string;
  };
  const name = `better-sqlite3-v${pkg.version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', [
    'czf',
    join(dir, name),
    '-C',
    join(ROOT, 'node_modules/better-sqlite3'),
    'build/Release/better_sqlite3.node',
  ]);
  return dir;
}

describe("the README's Quick start, on a fresh copy of the repository", () => {
  it('installs, starts and answers on the API within a bounded time', { timeout: 280_000 }, async () => {
    const command = firstQuickStartCommand(readFileSync(join(ROOT, 'README.md'), 'utf8'));
    assert.match(command, /blox up/, 'the first Quick start command starts Blox');
    const copy = await tempDir('blox-quick-start-');
    const prebuilds = await tempDir('blox-prebuilds-');
    const [apiPort, awsPort] = [await freePort(), await freePort()];
    // What `git clone` would give: the tracked files only (no node_modules, no dist, no .blox).
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' })
      .split('\0')
      .filter(Boolean);
    for (const file of files) {
      mkdirSync(dirname(join(copy.path, file)), { recursive: true });
      try {
        copyFileSync(join(ROOT, file), join(copy.path, file));
      } catch (err) {
        // A tracked file deleted in the working tree is not part of what a clone would hold.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    const child = spawn('bash', ['-c', command], {
      cwd: copy.path,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        NODE_ENV: '',
        CI: 'true',
        BLOX_BIND: `127.0.0.1:${apiPort}`,
        BLOX_LOCAL_AWS_PORT: String(awsPort),
        npm_config_prefer_offline: 'true',
        npm_config_audit: 'false',
        npm_config_fund: 'false',
        npm_config_better_sqlite3_local_prebuilds: localPrebuild(prebuilds.path),
      },
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    let exited: number | null | undefined;
    const exit = new Promise<void>((resolve) =>
      child.once('exit', (code) => {
        exited = code;
        resolve();
      }),
    );
    try {
      const api = `http://127.0.0.1:${apiPort}`;
      await waitFor(
        `"${command}" to serve ${api}/readyz`,
        async () => {
          if (exited !== undefined)
            throw new Error(`"${command}" exited with ${exited}:\n${output.slice(-3000)}`);
          return (await fetch(`${api}/readyz`).catch(() => undefined))?.status === 200;
        },
        { timeoutMs: 240_000, intervalMs: 500 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- output ---\n${output.slice(-3000)}`);
      });
      assert.match(output, /Blox is up/);
      const instances = (await (await fetch(`${api}/v1/instances?cluster=default`)).json()) as {
        items: unknown[];
      };
      assert.equal(instances.items.length, 3, 'the demo cluster has its 3 instances');
      const envs = await fetch(`${api}/v1/environments`);
      assert.equal(envs.status, 200, 'the scheduler routes are served on the same port');
    } finally {
      // The whole group: bash, npm, npx and blox.
      if (exited === undefined) {
        process.kill(-child.pid!, 'SIGINT');
        const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 15_000);
        await exit;
        clearTimeout(timer);
      }
      await copy.cleanup();
      await prebuilds.cleanup();
    }
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  bashCompletion,
  flagsOf,
  zshCompletion,
  type CompletionCommand,
} from '../../src/cli/client/completion.js';
import { commands } from '../../src/cli/commands/index.js';
import { blox } from '../support/blox-process.js';

const list: CompletionCommand[] = commands.map((c) => ({
  name: c.name,
  description: c.description,
  settings: c.settings,
  ...(c.name === 'env' ? { subcommands: ['create', 'list', 'get', 'update', 'delete', 'revisions'] } : {}),
}));

/** Asks real bash what it would complete for the words typed so far (the last one is being typed). */
function completeInBash(script: string, words: string[]): string[] {
  const program = [
    script,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_blox',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const res = spawnSync('bash', ['--norc', '-c', program], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return res.stdout.split('\n').filter((l) => l !== '');
}

describe('shell completion', () => {
  const bash = bashCompletion(list);

  it('completes command names from the real command list', () => {
    const names = completeInBash(bash, ['blox', '']);
    for (const c of commands) assert.ok(names.includes(c.name), `${c.name} is offered`);
    assert.deepEqual(completeInBash(bash, ['blox', 'dep']), ['deploy', 'deployments']);
  });

  it('completes every flag of a command, from its settings (and those of every command)', () => {
    for (const c of commands) {
      const offered = completeInBash(bash, ['blox', c.name, '--']);
      for (const f of flagsOf({ name: c.name, description: '', settings: c.settings }))
        assert.ok(offered.includes(f.long), `blox ${c.name} offers ${f.long}`);
    }
    assert.ok(completeInBash(bash, ['blox', 'tasks', '-']).includes('-o'), '-o is offered');
  });

  it('completes enum values, subcommands and files', () => {
    assert.deepEqual(completeInBash(bash, ['blox', 'tasks', '--output', '']), ['table', 'json', 'yaml']);
    assert.deepEqual(completeInBash(bash, ['blox', 'instances', '-o', 'y']), ['yaml']);
    assert.deepEqual(completeInBash(bash, ['blox', 'env', 'c']), ['create']);
    assert.deepEqual(completeInBash(bash, ['blox', 'env', 'create', '--foreign-tasks', '']), [
      'ignore',
      'adopt',
    ]);
    assert.deepEqual(
      completeInBash(bash, ['blox', 'tasks', '--cluster', '']),
      [],
      'free values are not guessed',
    );
    assert.ok(completeInBash(bash, ['blox', 'up', '--config', 'packa']).includes('package.json'));
  });

  it('prints the scripts through `blox completion bash|zsh`, and rejects other shells with exit 2', async () => {
    const b = await blox('completion', 'bash');
    assert.equal(b.code, 0);
    assert.equal(
      b.out,
      bashCompletion(
        list.map((c) => (c.name === 'completion' ? { ...c, subcommands: ['bash', 'zsh'] } : c)),
      ).trimEnd(),
    );
    const z = await blox('completion', 'zsh');
    assert.equal(z.code, 0);
    assert.match(z.out, /^#compdef blox/);
    const bad = await blox('completion', 'fish');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /unknown shell "fish"; use one of: bash, zsh/);
  });

  it('writes a zsh script with a spec per flag and quotes what zsh would misread', (t) => {
    const zsh = zshCompletion(list);
    assert.ok(
      zsh.includes(
        `'(-o --output)'{-o,--output=}'[Output format (-o for short)]:<format>:(table json yaml)'`,
      ),
    );
    assert.ok(zsh.includes(`'--watch[`), 'booleans take no value');
    assert.ok(zsh.includes(`'1:subcommand:(create list get update delete revisions)'`));
    const res = spawnSync('zsh', ['-n', '-c', zsh], { encoding: 'utf8' });
    if (res.error) {
      t.skip('zsh is not installed here: only the script text was checked');
      return;
    }
    assert.equal(res.status, 0, res.stderr);
  });
});

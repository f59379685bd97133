import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { configurationReference } from '../../src/cli/config-reference.js';
import { commands } from '../../src/cli/commands/index.js';
import { commonSettings } from '../../src/core/config/index.js';

describe('configuration reference', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

  it('is up to date with the code (run `npm run docs:config` to refresh)', () => {
    assert.equal(doc, configurationReference(commands));
  });

  it('names every flag and environment variable any command reads', () => {
    for (const command of commands) {
      for (const s of [...command.settings, ...commonSettings]) {
        assert.ok(doc.includes(`--${s.flag}`), `--${s.flag} of blox ${command.name} is documented`);
        if (s.env) assert.ok(doc.includes(s.env), `${s.env} of blox ${command.name} is documented`);
      }
    }
  });
});

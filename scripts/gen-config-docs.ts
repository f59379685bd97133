// Writes docs/configuration.md from the settings every command declares.
import { writeFileSync } from 'node:fs';
import { configurationReference } from '../src/cli/config-reference.js';
import { commands } from '../src/cli/commands/index.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), configurationReference(commands));
console.log('wrote docs/configuration.md');

import { ConfigError } from '../../core/errors.js';
import { defineCommand } from '../command.js';
import {
  bashCompletion,
  COMPLETION_SHELLS,
  zshCompletion,
  type CompletionCommand,
} from '../client/completion.js';
import { EXIT } from '../client/exit-codes.js';
import { ENV_SUBCOMMANDS } from './env.js';

/** Words after the command name that completion offers, for commands that have subcommands. */
const SUBCOMMANDS: Record<string, readonly string[]> = {
  env: ENV_SUBCOMMANDS,
  completion: COMPLETION_SHELLS,
};

/** `blox completion bash|zsh`: prints a completion script built from the real commands and flags. */
export const completionCommand = defineCommand({
  name: 'completion',
  description:
    'Print a shell completion script built from the commands and their flags: source <(blox completion bash) (or zsh).',
  settings: [] as const,
  args: ['<shell>'],
  async run(_config, _context, [shell = '']) {
    if (!(COMPLETION_SHELLS as readonly string[]).includes(shell))
      throw new ConfigError(`unknown shell "${shell}"; use one of: ${COMPLETION_SHELLS.join(', ')}`);
    // Loaded here, not at the top: the command list includes this command.
    const { commands } = await import('./index.js');
    const list: CompletionCommand[] = commands.map((c) => ({
      name: c.name,
      description: c.description,
      settings: c.settings,
      ...(SUBCOMMANDS[c.name] ? { subcommands: SUBCOMMANDS[c.name] } : {}),
    }));
    console.log((shell === 'bash' ? bashCompletion(list) : zshCompletion(list)).trimEnd());
    return EXIT.ok;
  },
});

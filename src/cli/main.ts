import { Command, CommanderError } from 'commander';
import { BloxError, errorMessage } from '../core/errors.js';
import { register } from './command.js';
import { commands } from './commands/index.js';
import { VERSION } from './version.js';

/** Entry point of the `blox` binary. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command('blox')
    .description(
      'Blox: your own scheduling logic on Amazon ECS — cluster state service, daemon scheduler, local AWS emulator.',
    )
    .version(VERSION, '-V, --version', 'print the version and exit')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const def of commands) register(program, def as never, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof BloxError) {
      console.error(`blox: ${err.message}`);
      return 2;
    }
    console.error(`blox: ${errorMessage(err)}`);
    return 1;
  }
}

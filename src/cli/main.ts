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
    if (err instanceof CommanderError) {
      // Help and version exit 0; every other parser error (unknown flag, missing argument) is a
      // usage error, exit 2, as docs/cli.md documents.
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version'
        ? 0
        : 2;
    }
    if (err instanceof BloxError) {
      console.error(`blox: ${err.message}`);
      return 2;
    }
    console.error(`blox: ${errorMessage(err)}`);
    return 1;
  }
}

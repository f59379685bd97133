import type { Command } from 'commander';
import { Option } from 'commander';
import { commonSettings, loadConfig, type Config, type SettingSpec } from '../core/config/index.js';
import { createLogger, type Logger } from '../core/logger.js';

export interface CommandContext {
  logger: Logger;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal: AbortSignal;
}

export interface CommandDefinition<T extends readonly SettingSpec[]> {
  name: string;
  description: string;
  settings: T;
  /** Positional arguments, e.g. ['<cluster>', '<count>']. */
  args?: string[];
  /** Returns the exit code. Long-running commands resolve when stopSignal fires and they have shut down. */
  run(
    config: Config<T> & Config<typeof commonSettings>,
    context: CommandContext,
    args: string[],
  ): Promise<number>;
}

/** Every command's flags come from its settings list, so flags, env vars and docs never drift apart. */
export function addSettingOptions(cmd: Command, settings: readonly SettingSpec[]): void {
  for (const spec of settings) {
    const placeholder =
      spec.placeholder ?? (spec.type === 'boolean' ? '' : `<${spec.type === 'list' ? 'value' : spec.type}>`);
    const flags = spec.type === 'boolean' ? `--${spec.flag} [bool]` : `--${spec.flag} ${placeholder}`;
    const help = spec.env ? `${spec.description} [env: ${spec.env}]` : spec.description;
    const option = new Option(
      flags,
      help + (spec.default !== undefined ? ` (default: ${formatDefault(spec.default)})` : ''),
    );
    if (spec.type === 'list')
      option.argParser((value: string, previous: string[] | undefined) => [
        ...(previous ?? []),
        ...value.split(','),
      ]);
    cmd.addOption(option);
  }
}

function formatDefault(value: unknown): string {
  return Array.isArray(value) ? value.join(',') || '[]' : String(value);
}

/** Collects only the flags given on the command line, keyed by setting key. */
export function givenFlags(cmd: Command, settings: readonly SettingSpec[]): Record<string, unknown> {
  const opts = cmd.opts();
  const flags: Record<string, unknown> = {};
  for (const spec of settings) {
    const attr = camel(spec.flag);
    if (cmd.getOptionValueSource(attr) === 'cli')
      flags[spec.key] = opts[attr] === undefined ? true : opts[attr];
  }
  return flags;
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function defineCommand<const T extends readonly SettingSpec[]>(
  def: CommandDefinition<T>,
): CommandDefinition<T> {
  return def;
}

/** Adds a command to the program: parses flags, loads config, builds the logger, wires signals. */
export function register<T extends readonly SettingSpec[]>(
  program: Command,
  def: CommandDefinition<T>,
  onExit: (code: number) => void,
): Command {
  const cmd = program.command(def.name).description(def.description);
  for (const arg of def.args ?? []) cmd.argument(arg);
  const all = [...def.settings, ...commonSettings];
  addSettingOptions(cmd, all);
  cmd.action(async (...actionArgs: unknown[]) => {
    const positional = actionArgs.slice(0, (def.args ?? []).length).map((a) => String(a ?? ''));
    const { config } = loadConfig(all, { flags: givenFlags(cmd, all) });
    const c = config as Config<T> & Config<typeof commonSettings>;
    const format = c.logFormat;
    const logger = createLogger({
      level: c.logLevel as never,
      pretty: format === 'auto' ? undefined : format === 'pretty',
    });
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      onExit(await def.run(c, { logger, stopSignal: controller.signal }, positional));
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
  return cmd;
}

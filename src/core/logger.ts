import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Human-readable output; defaults to true on a TTY outside CI. */
  pretty?: boolean;
  name?: string;
  /** Where JSON lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

/** The one logger of the project: JSON lines (pino), pretty on a terminal. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  const pretty = options.pretty ?? (Boolean(process.stdout.isTTY) && !process.env.CI);
  const base = { name: options.name ?? 'blox' };
  if (options.destination) return pino({ level, base }, options.destination);
  if (pretty) {
    return pino({
      level,
      base,
      transport: {
        target: 'pino-pretty',
        options: { colorize: !process.env.NO_COLOR, ignore: 'pid,hostname' },
      },
    });
  }
  return pino({ level, base });
}

/** A logger that drops everything: for library code whose caller gave none. */
export const silentLogger: Logger = pino({ level: 'silent' });

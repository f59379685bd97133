/**
 * The base error of every layer. `code` is a stable, machine-readable name; `message` is one
 * sentence that says what is wrong and, where it can, how to fix it. HTTP layers map `status`.
 */
export class BloxError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number; cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
    this.details = options.details;
  }
}

/** A setting (flag, environment variable, config file entry) has a bad value. */
export class ConfigError extends BloxError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('InvalidConfiguration', message, { status: 400, details });
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

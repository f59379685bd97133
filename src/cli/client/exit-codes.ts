/**
 * Exit codes of the client commands (documented in docs/cli.md). Scripts branch on them, so
 * they never change meaning.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The operation failed: a failed deployment, an API error, a watch that cannot continue. */
  failure: 1,
  /** Bad usage or configuration: unknown subcommand, missing argument, bad flag value. */
  usage: 2,
  /** The environment, deployment, revision or entity does not exist. */
  notFound: 3,
  /** The API could not be reached. */
  unreachable: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

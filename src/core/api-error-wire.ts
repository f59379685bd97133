/**
 * How Blox's HTTP APIs put an error on the wire, for the server that writes it and the clients
 * (SDK, CLI, the emulator's admin client) that read it back.
 *
 * As Blox v0.3 did (Go's http.Error): the status, `Content-Type: text/plain; charset=utf-8` and
 * the message followed by a newline. v0.3's swagger declares every error body a string, so the
 * clients generated from it (its Go client, which its own integration and end-to-end tests use)
 * decode an error only if it is text (a JSON object ends in a decode error instead of the typed
 * `…BadRequest` / `…NotFound` error). The machine-readable code, which v0.3 did not have, travels
 * in a header.
 */
export const ERROR_CODE_HEADER = 'x-blox-error-code';
export const ERROR_CONTENT_TYPE = 'text/plain; charset=utf-8';

/** The body of an error answer. */
export function errorText(message: string): string {
  return `${message}\n`;
}

/**
 * An error answer read back: its code from the header, its message from the text body. An answer
 * that is not Blox's (a proxy's page, a server of something else) keeps its status line as the
 * message (or its first line of text), with code `HttpError`.
 */
export function readErrorAnswer(
  status: number,
  statusText: string,
  header: (name: string) => string | null | undefined,
  body: string,
): { code: string; message: string } {
  const code = header(ERROR_CODE_HEADER);
  const text = body.replace(/\r?\n$/, '');
  if (code) return { code, message: text || `${status} ${statusText}` };
  const firstLine = text.split('\n', 1)[0]!.trim();
  return {
    code: 'HttpError',
    message:
      firstLine && firstLine.length <= 300
        ? `${status} ${statusText}: ${firstLine}`
        : `${status} ${statusText}`,
  };
}

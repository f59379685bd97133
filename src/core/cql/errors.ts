import { BloxError } from '../errors.js';

/**
 * A filter that does not parse. `position` is the 0-based offset in the filter text where the
 * problem starts and `expected` says what would have been valid there, so callers can point at it.
 */
export class CqlSyntaxError extends BloxError {
  readonly position: number;
  readonly expected: string;

  constructor(text: string, position: number, expected: string, found?: string) {
    const near = found ?? describeAt(text, position);
    super(
      'InvalidFilter',
      `invalid cluster query expression at position ${position}: expected ${expected}, found ${near}`,
      { status: 400, details: { position, expected, filter: text } },
    );
    this.position = position;
    this.expected = expected;
  }
}

function describeAt(text: string, position: number): string {
  if (position >= text.length) return 'end of expression';
  const rest = text.slice(position, position + 20);
  return `'${rest}${text.length > position + 20 ? '…' : ''}'`;
}

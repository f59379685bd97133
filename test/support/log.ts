import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/core/logger.js';

/**
 * A debug-level logger whose JSON lines a test reads back (the real pino logger, in memory):
 * parsed, and as written (`raw`), where a key written twice would still show.
 */
export function capturingLogger(): {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  raw: string[];
} {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n'))
        if (l) {
          raw.push(l);
          lines.push(JSON.parse(l) as Record<string, unknown>);
        }
      cb();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines, raw };
}

/**
 * Keys that appear more than once in one object of a JSON text, at any depth (JSON.parse keeps
 * the last silently; log tools differ). Assumes valid JSON.
 */
export function duplicateKeys(json: string): string[] {
  const found: string[] = [];
  const stack: Array<Set<string> | null> = []; // a Set per open object, null per open array
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        if (keys.has(key)) found.push(key);
        keys.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') expectKey = stack[stack.length - 1] != null;
  }
  return found;
}

/**
 * Java `java.util.regex.Pattern` → JavaScript RegExp, for the constructs the two dialects spell
 * differently. ECS evaluates `=~` with Java; we take it as a full match (`String.matches`), which
 * is what Java code calls by default. Anything JS cannot express throws, and the parser reports
 * it as a syntax error at the value.
 */

const POSIX_CLASSES: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: '\\x00-\\x7F',
  Alpha: 'a-zA-Z',
  Digit: '0-9',
  Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~',
  Graph: '!-~',
  Print: ' -~',
  Blank: ' \\t',
  Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F',
  Space: ' \\t\\n\\x0B\\f\\r',
};

export function javaRegexToJs(pattern: string): RegExp {
  let flags = '';
  let source = pattern;
  // Leading inline flags, e.g. (?i) or (?is). JS has no inline flags; only a leading group maps.
  const inline = /^\(\?([imsx]+)\)/.exec(source);
  if (inline) {
    for (const f of inline[1]!) {
      if (f === 'x') throw new Error('the (?x) comments flag is not supported');
      if (!flags.includes(f)) flags += f;
    }
    source = source.slice(inline[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (inClass && c !== '\\') {
      // Inside [...] only escapes need care; quantifier rewriting does not apply.
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (source[i + 1] === '^') out += source[++i];
      if (source[i + 1] === ']') out += '\\' + source[++i];
      continue;
    }
    if (c === '\\') {
      const n = source[i + 1];
      if (n === undefined) throw new Error('pattern ends with a lone backslash');
      if (n === 'A') out += '^';
      else if (n === 'Z' || n === 'z') out += '$';
      else if (n === 'Q') {
        // \Q…\E quotes literally.
        const end = source.indexOf('\\E', i + 2);
        const literal = source.slice(i + 2, end < 0 ? undefined : end);
        out += literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
        i = end < 0 ? source.length : end + 1;
        continue;
      } else if ((n === 'p' || n === 'P') && source[i + 2] === '{') {
        const close = source.indexOf('}', i + 3);
        if (close < 0) throw new Error('unterminated \\p{…} class');
        const name = source.slice(i + 3, close).replace(/^Is/, '');
        const cls = POSIX_CLASSES[name];
        if (!cls) throw new Error(`unsupported character class \\${n}{${name}}`);
        if (inClass && n === 'P') throw new Error(`negated class \\P{${name}} inside [...] is not supported`);
        out += inClass ? cls : n === 'p' ? `[${cls}]` : `[^${cls}]`;
        i = close;
        continue;
      } else out += c + n;
      i++;
      continue;
    }
    if (c === '(' && source.startsWith('(?>', i)) {
      // Atomic group: JS has none; a plain group matches the same strings for full matches
      // in all but pathological backtracking cases.
      out += '(?:';
      i += 2;
      continue;
    }
    if ((c === '+' || c === '?' || c === '*' || c === '}') && source[i + 1] === '+') {
      // Possessive quantifier → greedy.
      out += c;
      i++;
      continue;
    }
    out += c;
  }
  return new RegExp(`^(?:${out})$`, flags);
}

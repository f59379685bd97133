import type { CqlExpression, CqlOperator, CqlSubject, CqlValue } from './ast.js';
import { CqlSyntaxError } from './errors.js';
import { javaRegexToJs } from './java-regex.js';
import { parseCqlDate, parseVersion } from './values.js';

/**
 * Parser for the ECS cluster query language (ecs-samples README §7.5):
 *
 *   filter   = or_expr
 *   or_expr  = and_expr { ("or" | "||") and_expr }
 *   and_expr = not_expr { ("and" | "&&") not_expr }
 *   not_expr = ("not" | "!") not_expr | primary
 *   primary  = "(" or_expr ")" | subject (unary_op | binary_op argument)
 *
 * The scanner is context-sensitive (a bare value such as `family:web-worker` or `t3.*` would
 * otherwise look like a subject or operators). Keywords and word operators are case-insensitive;
 * subject names are case-sensitive, as in the ECS documentation. Decisions where AWS documents
 * nothing are listed in docs/local-aws-ecs.md.
 */

export const MAX_FILTER_LENGTH = 1024;

const WORD_OPERATORS: Record<string, CqlOperator> = {
  equals: '==',
  not_equals: '!=',
  greater_than: '>',
  greater_than_equal: '>=',
  less_than: '<',
  less_than_equal: '<=',
  exists: 'exists',
  not_exists: '!exists',
  in: 'in',
  not_in: '!in',
  matches: '=~',
  not_matches: '!~',
};

/** Longest first, so `!=` is not read as `!` and `>=` not as `>`. */
const SYMBOL_OPERATORS: [string, CqlOperator][] = [
  ['!exists', '!exists'],
  ['!in', '!in'],
  ['==', '=='],
  ['!=', '!='],
  ['>=', '>='],
  ['<=', '<='],
  ['=~', '=~'],
  ['!~', '!~'],
  ['>', '>'],
  ['<', '<'],
];

const COMPARISONS: CqlOperator[] = ['==', '!=', '>', '>=', '<', '<='];
const STRING_OPS: CqlOperator[] = ['==', '!=', 'in', '!in', '=~', '!~'];
const ALL_OPS: CqlOperator[] = [...COMPARISONS, 'exists', '!exists', 'in', '!in', '=~', '!~'];

/** Operators each subject accepts: the documented lists; attribute: and task:group take all. */
const OPERATORS_BY_SUBJECT: Record<CqlSubject['kind'], CqlOperator[]> = {
  agentConnected: STRING_OPS,
  agentVersion: COMPARISONS,
  ec2InstanceId: STRING_OPS,
  registeredAt: COMPARISONS,
  runningTasksCount: COMPARISONS,
  'task:group': ALL_OPS,
  attribute: ALL_OPS,
};

const ATTRIBUTE_NAME_RE = /^[a-zA-Z0-9_./\\-]{1,128}$/;
/** Characters that end a bare word (subject, keyword or value). */
const WORD_END = /[\s()[\],']/;

export function parseCql(text: string): CqlExpression {
  if (typeof text !== 'string') throw new CqlSyntaxError(String(text), 0, 'a filter string');
  if (text.length > MAX_FILTER_LENGTH)
    throw new CqlSyntaxError(text, MAX_FILTER_LENGTH, `at most ${MAX_FILTER_LENGTH} characters`);
  const p = new Parser(text);
  p.skipSpace();
  if (p.atEnd())
    throw new CqlSyntaxError(text, 0, 'an expression such as attribute:ecs.instance-type == t3.small');
  const expr = p.orExpr();
  p.skipSpace();
  if (!p.atEnd()) throw new CqlSyntaxError(text, p.pos, "'and', 'or' or end of expression");
  return expr;
}

class Parser {
  pos = 0;
  constructor(readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  /** The bare word at the cursor (not consumed). */
  peekWord(stopAtOperators = false): string {
    let end = this.pos;
    while (end < this.text.length) {
      const c = this.text[end]!;
      // Subjects end at an operator too (`runningTasksCount==2`).
      if (WORD_END.test(c) || (stopAtOperators && /[=!<>~&|]/.test(c))) break;
      end++;
    }
    return this.text.slice(this.pos, end);
  }

  /** Is there a keyword (case-insensitive) at the cursor, followed by a word boundary? */
  keyword(word: string): boolean {
    const slice = this.text.slice(this.pos, this.pos + word.length);
    if (slice.toLowerCase() !== word) return false;
    const next = this.text[this.pos + word.length];
    return next === undefined || /[\s(]/.test(next);
  }

  orExpr(): CqlExpression {
    let left = this.andExpr();
    for (;;) {
      this.skipSpace();
      if (this.text.startsWith('||', this.pos)) this.pos += 2;
      else if (this.keyword('or')) this.pos += 2;
      else return left;
      left = { type: 'or', left, right: this.andExpr() };
    }
  }

  andExpr(): CqlExpression {
    let left = this.notExpr();
    for (;;) {
      this.skipSpace();
      if (this.text.startsWith('&&', this.pos)) this.pos += 2;
      else if (this.keyword('and')) this.pos += 3;
      else return left;
      left = { type: 'and', left, right: this.notExpr() };
    }
  }

  notExpr(): CqlExpression {
    this.skipSpace();
    if (this.text[this.pos] === '!' && !this.text.startsWith('!=', this.pos)) {
      this.pos++;
      return { type: 'not', operand: this.notExpr() };
    }
    if (this.keyword('not')) {
      this.pos += 3;
      return { type: 'not', operand: this.notExpr() };
    }
    return this.primary();
  }

  primary(): CqlExpression {
    this.skipSpace();
    if (this.text[this.pos] === '(') {
      this.pos++;
      const inner = this.orExpr();
      this.skipSpace();
      if (this.text[this.pos] !== ')') throw new CqlSyntaxError(this.text, this.pos, "')'");
      this.pos++;
      return inner;
    }
    return this.condition();
  }

  condition(): CqlExpression {
    const position = this.pos;
    const subject = this.subject();
    this.skipSpace();
    const operatorAt = this.pos;
    const operator = this.operator();
    const allowed = OPERATORS_BY_SUBJECT[subject.kind];
    if (!allowed.includes(operator))
      throw new CqlSyntaxError(
        this.text,
        operatorAt,
        `one of ${allowed.join(' ')} after ${subjectName(subject)}`,
        `'${operator}'`,
      );
    if (operator === 'exists' || operator === '!exists')
      return { type: 'condition', subject, operator, values: [], position };
    this.skipSpace();
    const values =
      operator === 'in' || operator === '!in'
        ? this.list()
        : [this.value('a value (bare or single-quoted)', false, operator === '=~' || operator === '!~')];
    for (const v of values) this.compile(subject, operator, v);
    return { type: 'condition', subject, operator, values: values.map((v) => v.value), position };
  }

  subject(): CqlSubject {
    const start = this.pos;
    const word = this.peekWord(true);
    const expected =
      'a subject (agentConnected, agentVersion, attribute:<name>, ec2InstanceId, registeredAt, runningTasksCount, task:group), not, ! or (';
    if (word === '') throw new CqlSyntaxError(this.text, start, expected);
    this.pos += word.length;
    switch (word) {
      case 'agentConnected':
      case 'agentVersion':
      case 'ec2InstanceId':
      case 'registeredAt':
      case 'runningTasksCount':
      case 'task:group':
        return { kind: word };
    }
    if (word.startsWith('attribute:')) {
      const name = word.slice('attribute:'.length);
      if (!ATTRIBUTE_NAME_RE.test(name))
        throw new CqlSyntaxError(
          this.text,
          start + 'attribute:'.length,
          'an attribute name of 1-128 letters, digits, - _ / \\ .',
        );
      return { kind: 'attribute', name };
    }
    throw new CqlSyntaxError(this.text, start, expected, `'${word}'`);
  }

  operator(): CqlOperator {
    for (const [symbol, op] of SYMBOL_OPERATORS) {
      if (!this.text.startsWith(symbol, this.pos)) continue;
      // `!in`/`!exists` are words after the bang: they need a boundary.
      if (/[a-z]$/.test(symbol)) {
        const next = this.text[this.pos + symbol.length];
        if (next !== undefined && !/[\s[(']/.test(next)) continue;
      }
      this.pos += symbol.length;
      return op;
    }
    const word = this.peekWord();
    const op = WORD_OPERATORS[word.toLowerCase()];
    if (op) {
      this.pos += word.length;
      return op;
    }
    throw new CqlSyntaxError(
      this.text,
      this.pos,
      'an operator (== != > >= < <= exists !exists in !in =~ !~, or equals, not_equals, greater_than, greater_than_equal, less_than, less_than_equal, not_exists, not_in, matches, not_matches)',
    );
  }

  list(): { value: CqlValue; at: number }[] {
    if (this.text[this.pos] !== '[')
      throw new CqlSyntaxError(this.text, this.pos, "'[' to start a value list, e.g. [a, b]");
    this.pos++;
    const values: { value: CqlValue; at: number }[] = [];
    for (;;) {
      this.skipSpace();
      values.push(this.value('a list value', true));
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return values;
      }
      throw new CqlSyntaxError(this.text, this.pos, "',' or ']'");
    }
  }

  /** `pattern`: a regex argument, where brackets and commas belong to the bare value. */
  value(expected: string, inList = false, pattern = false): { value: CqlValue; at: number } {
    const at = this.pos;
    if (this.text[this.pos] === "'") {
      const close = this.text.indexOf("'", this.pos + 1);
      if (close < 0) throw new CqlSyntaxError(this.text, this.pos, "a closing quote (')");
      const text = this.text.slice(this.pos + 1, close);
      this.pos = close + 1;
      return { value: { text }, at };
    }
    let end = this.pos;
    while (end < this.text.length) {
      const c = this.text[end]!;
      if (/\s/.test(c) || c === ')' || c === "'") break;
      if (inList && (c === ',' || c === ']')) break;
      if (!inList && !pattern && (c === '[' || c === ']' || c === ',')) break;
      if (this.text.startsWith('&&', end) || this.text.startsWith('||', end)) break;
      end++;
    }
    const text = this.text.slice(this.pos, end);
    // A value never starts like an operator: `=== x` is a typo, not the value `=`.
    if (text === '' || /^[=!<>&|]/.test(text)) throw new CqlSyntaxError(this.text, this.pos, expected);
    this.pos = end;
    return { value: { text }, at };
  }

  /** Checks a value against its subject and operator and pre-computes its typed form. */
  compile(subject: CqlSubject, operator: CqlOperator, v: { value: CqlValue; at: number }): void {
    const value = v.value;
    if (operator === '=~' || operator === '!~') {
      try {
        value.regex = javaRegexToJs(value.text);
      } catch (err) {
        throw new CqlSyntaxError(
          this.text,
          v.at,
          'a valid Java regular expression',
          `'${value.text}' (${err instanceof Error ? err.message : String(err)})`,
        );
      }
      return;
    }
    switch (subject.kind) {
      case 'runningTasksCount':
        if (!/^\d+$/.test(value.text))
          throw new CqlSyntaxError(this.text, v.at, 'a whole number', `'${value.text}'`);
        value.number = Number(value.text);
        return;
      case 'registeredAt': {
        const range = parseCqlDate(value.text);
        if (!range)
          throw new CqlSyntaxError(
            this.text,
            v.at,
            'a date such as 2018-06-18, 2018-06-18T22:28:28, 2018-06-18T22:28:28Z or 2018-06-18T22:28:28+00:00',
            `'${value.text}'`,
          );
        value.dateRange = range;
        return;
      }
      case 'agentVersion': {
        const version = parseVersion(value.text);
        if (!version)
          throw new CqlSyntaxError(this.text, v.at, 'a version such as 1.14.5', `'${value.text}'`);
        value.version = version;
        return;
      }
      case 'agentConnected':
        if (value.text !== 'true' && value.text !== 'false')
          throw new CqlSyntaxError(this.text, v.at, 'true or false', `'${value.text}'`);
        return;
      default:
        if (/^-?\d+(\.\d+)?$/.test(value.text)) value.number = Number(value.text);
    }
  }
}

function subjectName(subject: CqlSubject): string {
  return subject.kind === 'attribute' ? `attribute:${subject.name}` : subject.kind;
}

import type { CqlExpression, CqlInstanceView, CqlOperator, CqlValue } from './ast.js';
import { compareVersions, parseVersion } from './values.js';

/**
 * Evaluates a parsed filter against one container instance. Pure; no allocation on the hot path
 * beyond what a regex test needs.
 *
 * Semantics where AWS documents nothing (see docs/local-aws-ecs.md):
 * - A condition on an absent attribute is false for every operator except `!exists`, so
 *   `attribute:stack != prod` skips instances without `stack` (containers-roadmap#486).
 * - `task:group` is multi-valued: ==, in, =~ and exists hold when ANY task group matches;
 *   !=, !in and !~ hold when the instance has tasks and NONE matches; !exists when it has none.
 * - Ordering on attributes compares numerically when both sides are numbers, else as strings.
 */
export function matchesCql(expression: CqlExpression, view: CqlInstanceView): boolean {
  switch (expression.type) {
    case 'and':
      return matchesCql(expression.left, view) && matchesCql(expression.right, view);
    case 'or':
      return matchesCql(expression.left, view) || matchesCql(expression.right, view);
    case 'not':
      return !matchesCql(expression.operand, view);
    case 'condition':
      return matchCondition(expression, view);
  }
}

function matchCondition(c: Extract<CqlExpression, { type: 'condition' }>, view: CqlInstanceView): boolean {
  const { subject, operator, values } = c;
  switch (subject.kind) {
    case 'runningTasksCount':
      return compareOrdered(operator, (v) => numberCompare(view.runningTasksCount, v.number!), values);
    case 'registeredAt': {
      const t = toEpochMs(view.registeredAt);
      if (Number.isNaN(t)) return false;
      const [start, end] = values[0]!.dateRange!;
      switch (operator) {
        case '==':
          return t >= start && t < end;
        case '!=':
          return !(t >= start && t < end);
        case '<':
          return t < start;
        case '<=':
          return t < end;
        case '>':
          return t >= end;
        case '>=':
          return t >= start;
        default:
          return false;
      }
    }
    case 'agentVersion': {
      const own = view.agentVersion === undefined ? undefined : parseVersion(view.agentVersion);
      if (!own) return false;
      return compareOrdered(operator, (v) => compareVersions(own, v.version!), values);
    }
    case 'agentConnected':
      return matchString(operator, String(view.agentConnected), values);
    case 'ec2InstanceId':
      if (view.ec2InstanceId === undefined) return operator === '!exists';
      return matchString(operator, view.ec2InstanceId, values);
    case 'attribute': {
      const present = Object.prototype.hasOwnProperty.call(view.attributes, subject.name);
      if (operator === 'exists') return present;
      if (operator === '!exists') return !present;
      const value = view.attributes[subject.name];
      if (!present || value === undefined) return false;
      return matchString(operator, value, values);
    }
    case 'task:group': {
      const groups = view.taskGroups;
      switch (operator) {
        case 'exists':
          return groups.length > 0;
        case '!exists':
          return groups.length === 0;
        case '!=':
          return groups.length > 0 && !groups.some((g) => matchString('==', g, values));
        case '!in':
          return groups.length > 0 && !groups.some((g) => matchString('in', g, values));
        case '!~':
          return groups.length > 0 && !groups.some((g) => matchString('=~', g, values));
        default:
          return groups.some((g) => matchString(operator, g, values));
      }
    }
  }
}

/** String subjects: equality, lists, patterns, and (attributes only) ordering. */
function matchString(operator: CqlOperator, actual: string, values: readonly CqlValue[]): boolean {
  switch (operator) {
    case '==':
      return actual === values[0]!.text;
    case '!=':
      return actual !== values[0]!.text;
    case 'in':
      return values.some((v) => v.text === actual);
    case '!in':
      return !values.some((v) => v.text === actual);
    case '=~':
      return values[0]!.regex!.test(actual);
    case '!~':
      return !values[0]!.regex!.test(actual);
    case 'exists':
      return true;
    case '!exists':
      return false;
    default: {
      const v = values[0]!;
      const n = Number(actual);
      const order =
        v.number !== undefined && actual.trim() !== '' && !Number.isNaN(n)
          ? numberCompare(n, v.number)
          : actual < v.text
            ? -1
            : actual > v.text
              ? 1
              : 0;
      return orderHolds(operator, order);
    }
  }
}

function compareOrdered(
  operator: CqlOperator,
  compare: (v: CqlValue) => number,
  values: readonly CqlValue[],
): boolean {
  return orderHolds(operator, compare(values[0]!));
}

function orderHolds(operator: CqlOperator, order: number): boolean {
  switch (operator) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    default:
      return false;
  }
}

function numberCompare(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toEpochMs(value: number | Date | string): number {
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  return Date.parse(value);
}

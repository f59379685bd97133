/** The ECS cluster query language: parse once, match many instances. */
export type { CqlExpression, CqlInstanceView, CqlOperator, CqlSubject, CqlValue } from './ast.js';
export { CqlSyntaxError } from './errors.js';
export { parseCql, MAX_FILTER_LENGTH } from './parse.js';
export { matchesCql } from './match.js';
export { javaRegexToJs } from './java-regex.js';
export { compareVersions, parseCqlDate, parseVersion } from './values.js';

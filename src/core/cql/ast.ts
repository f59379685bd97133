/**
 * The syntax tree of the ECS cluster query language (ListContainerInstances `filter`, `memberOf`
 * placement constraints). Arguments are checked and pre-compiled at parse time (numbers, dates,
 * versions, regular expressions) so that matching thousands of instances costs no re-parsing.
 */

export type CqlSubject =
  | { kind: 'agentConnected' }
  | { kind: 'agentVersion' }
  | { kind: 'ec2InstanceId' }
  | { kind: 'registeredAt' }
  | { kind: 'runningTasksCount' }
  | { kind: 'task:group' }
  | { kind: 'attribute'; name: string };

/** Operators in their symbol form; word forms (`equals`, `not_in`, …) are normalised to these. */
export type CqlOperator =
  '==' | '!=' | '>' | '>=' | '<' | '<=' | 'exists' | '!exists' | 'in' | '!in' | '=~' | '!~';

/** One argument value, with the forms pre-computed that the subject needs. */
export interface CqlValue {
  /** The literal as written, without quotes. */
  text: string;
  /** Number for runningTasksCount and numeric attribute comparisons. */
  number?: number;
  /** For registeredAt: the instant range the literal denotes ([start, end), epoch ms). */
  dateRange?: [number, number];
  /** For agentVersion: numeric components. */
  version?: number[];
  /** For =~ and !~: the translated, fully anchored pattern. */
  regex?: RegExp;
}

export type CqlExpression =
  | { type: 'and'; left: CqlExpression; right: CqlExpression }
  | { type: 'or'; left: CqlExpression; right: CqlExpression }
  | { type: 'not'; operand: CqlExpression }
  | {
      type: 'condition';
      subject: CqlSubject;
      operator: CqlOperator;
      /** Empty for exists/!exists, one for most operators, one or more for in/!in. */
      values: CqlValue[];
      /** Offset of the subject in the filter text, for messages. */
      position: number;
    };

/** What a filter is evaluated against: a plain view of one container instance. */
export interface CqlInstanceView {
  ec2InstanceId?: string | undefined;
  agentConnected: boolean;
  agentVersion?: string | undefined;
  /** Epoch milliseconds, a Date, or an ISO-8601 string. */
  registeredAt: number | Date | string;
  runningTasksCount: number;
  /** Attribute name → value; a key present with `undefined` is an attribute without a value. */
  attributes: Readonly<Record<string, string | undefined>>;
  /** Groups of the tasks on the instance (`family:web`, `service:api`, custom). */
  taskGroups: readonly string[];
}

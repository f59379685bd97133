export {
  startRetention,
  sweepExpired,
  resolveRetentionOptions,
  type Retention,
  type RetentionDeps,
  type RetentionOptions,
  type RetentionStatus,
  type SweepResult,
} from './retention.js';

/** The local Amazon ECS emulator. */
export { EcsEmulator, ECS_OPERATIONS, ECS_TARGET_PREFIX, type EcsEmulatorOptions } from './emulator.js';
export type { EcsChange, EcsChangeListener, TaskChangeSummary } from './types.js';
export {
  FleetError,
  type CrashSelector,
  type Fleet,
  type FleetInstanceSpec,
  type FleetInstanceSummary,
} from './fleet.js';
export { DEFAULT_RATES, OPERATION_CATEGORY, type BucketRate, type ThrottleCategory } from './throttle.js';
export { INSTANCE_TYPES, type InstanceTypeSpec } from './instance-types.js';
export { SNAPSHOT_FORMAT, SnapshotError, type EcsSnapshot } from './snapshot.js';
export { epochSeconds } from './shapes.js';
export { isoTime } from './iso-time.js';

export { startLocalAws, type LocalAws, type LocalAwsOptions, type LocalAwsStatus } from './emulator.js';
export { SqsEmulator, createSqsHandler } from './sqs/index.js';
export {
  EcsEventEmitter,
  buildEnvelope,
  parseFaults,
  type EventFaults,
  type EcsEventEnvelope,
} from './events/index.js';
export { LocalAwsAdminClient, DEFAULT_LOCAL_AWS_ENDPOINT, createAdminHandler } from './admin/index.js';

export {
  EcsEventEmitter,
  type EcsChangeSource,
  type EventEmitterOptions,
  type EventEmitterStatus,
} from './emitter.js';
export {
  buildEnvelope,
  eventBody,
  eventMessage,
  type EcsChange,
  type EcsEventEnvelope,
  type EventMessage,
} from './envelope.js';
export { NO_FAULTS, parseFaults, type EventFaults } from './faults.js';
export { EventPipeline, type PipelineEvent, type PipelineStats } from './pipeline.js';
export { createPrng, prngUuid, shuffle, type Prng } from './prng.js';

export {
  EcsEventEmitter,
  type EcsChangeSource,
  type EventEmitterOptions,
  type EventEmitterStatus,
} from './emitter.js';
export { buildEnvelope, type EcsChange, type EcsEventEnvelope } from './envelope.js';
export { NO_FAULTS, parseFaults, type EventFaults } from './faults.js';
export { EventPipeline, type PipelineStats } from './pipeline.js';
export { createPrng, prngUuid, shuffle, type Prng } from './prng.js';

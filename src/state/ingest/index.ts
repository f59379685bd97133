export {
  startIngest,
  type Ingest,
  type IngestDeps,
  type IngestStatus,
  type IngestCounts,
  type PoisonMode,
} from './ingest.js';
export { resolveIngestOptions, type IngestOptions } from './options.js';
export { classifyMessages, type AllowList, type ClassifiedBatch, type ReceivedMessage } from './classify.js';
export { createIngestMetrics, type IngestMetrics } from './metrics.js';

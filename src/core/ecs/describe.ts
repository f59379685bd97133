import { epochSecondsToEventTime, formatEventTime } from './time.js';
import {
  validateInstanceDetail,
  validateTaskDetail,
  type InstanceUpdate,
  type TaskUpdate,
} from './validate.js';

/**
 * Describe* responses (DescribeTasks, DescribeContainerInstances) → the event `detail` shape, so
 * entities from the event stream and from reconciliation are stored alike. The API carries
 * timestamps as epoch seconds (the AWS SDK hands them over as Date objects); events carry ISO
 * strings. Every field is kept, known or not; a missing optional field is simply absent (Blox
 * v0.3 crashed on a nil createdAt, overrides or versionInfo).
 *
 * API-only fields (healthStatus, tags, …) are kept: the shape of the common fields is the same
 * and nothing is lost. `updatedAt` exists only in events and is therefore absent from API copies.
 */

/** Fields holding timestamps in the ECS API model (tasks, containers, instances, health details, managed agents). */
const TIMESTAMP_FIELDS = new Set([
  'createdAt',
  'startedAt',
  'stoppingAt',
  'stoppedAt',
  'pullStartedAt',
  'pullStoppedAt',
  'connectivityAt',
  'executionStoppedAt',
  'registeredAt',
  'updatedAt',
  'lastStartedAt',
  'lastUpdated',
  'lastStatusChange',
]);

/** Deep copy with Dates (SDK) and epoch numbers in timestamp fields (raw JSON) turned into ISO strings; null/undefined members dropped, as events leave them out. */
export function apiToEventShape(value: unknown, field?: string): unknown {
  if (value instanceof Date) return formatEventTime(value);
  if (typeof value === 'number' && field !== undefined && TIMESTAMP_FIELDS.has(field))
    return epochSecondsToEventTime(value);
  if (Array.isArray(value)) return value.map((v) => apiToEventShape(v));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || v === null) continue;
      out[k] = apiToEventShape(v, k);
    }
    return out;
  }
  return value;
}

/** A DescribeTasks `tasks[]` item as a validated task update (throws DetailError when unusable). */
export function taskFromDescribe(apiTask: unknown): TaskUpdate {
  return validateTaskDetail(apiToEventShape(apiTask));
}

/**
 * A DescribeContainerInstances `containerInstances[]` item as a validated instance update. The API
 * object has no clusterArn: it comes from the cluster that was described.
 */
export function instanceFromDescribe(apiInstance: unknown, clusterArn: string): InstanceUpdate {
  const detail = apiToEventShape(apiInstance);
  if (typeof detail === 'object' && detail !== null && !Array.isArray(detail)) {
    const d = detail as Record<string, unknown>;
    if (d.clusterArn === undefined) d.clusterArn = clusterArn;
  }
  return validateInstanceDetail(detail);
}

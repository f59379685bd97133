import { HttpError } from '../../server/http-error.js';

/**
 * The API's errors. Where Blox v0.3 had a message, the text is v0.3's, byte for byte, so that
 * clients matching on it keep working (written as text, as v0.3 did; the code goes in a header).
 */
export const V03_MESSAGES = {
  instanceNotFound: 'Instance not found',
  taskNotFound: 'Task not found',
  invalidStatus: 'Invalid status',
  unsupportedFilter: 'At least one of the filters provided is unsupported',
  redundantFilter: 'At least one of the filters provided is specified multiple times',
  invalidCluster: 'Invalid cluster ARN or name',
  invalidEntityVersion: 'Invalid entity version',
  outOfRangeEntityVersion: 'Entity version is out of range',
} as const;

export const apiErrors = {
  taskNotFound: () => new HttpError(404, 'TaskNotFound', V03_MESSAGES.taskNotFound),
  instanceNotFound: () => new HttpError(404, 'InstanceNotFound', V03_MESSAGES.instanceNotFound),
  invalidStatus: () => new HttpError(400, 'InvalidStatus', V03_MESSAGES.invalidStatus),
  unsupportedFilter: () => new HttpError(400, 'UnsupportedFilter', V03_MESSAGES.unsupportedFilter),
  redundantFilter: () => new HttpError(400, 'RedundantFilter', V03_MESSAGES.redundantFilter),
  invalidCluster: () => new HttpError(400, 'InvalidCluster', V03_MESSAGES.invalidCluster),
  invalidEntityVersion: () => new HttpError(400, 'InvalidEntityVersion', V03_MESSAGES.invalidEntityVersion),
  outOfRangeEntityVersion: () =>
    new HttpError(400, 'EntityVersionOutOfRange', V03_MESSAGES.outOfRangeEntityVersion),
  /** Beyond v0.3: a parameter v0.3 did not have is malformed; the message names it and the fix. */
  invalidParameter: (message: string) => new HttpError(400, 'InvalidParameter', message),
  /** Beyond v0.3 (which answered 400 "out of range"): history is compacted, the client must re-list. */
  gone: (entityVersion: number, oldest: number | undefined, listPath: string) =>
    new HttpError(
      410,
      'EntityVersionGone',
      `Entity version ${entityVersion} is older than the retained history${oldest === undefined ? '' : ` (the oldest resumable entity version is ${oldest})`}: re-list with GET ${listPath}, then stream from the list's revision + 1 (header x-blox-revision)`,
      { entityVersion, ...(oldest === undefined ? {} : { oldestEntityVersion: oldest }) },
    ),
};

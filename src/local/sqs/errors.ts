import { AwsError } from '../http/aws-error.js';

/**
 * SQS's typed errors: the shape name the JSON protocol sends in `__type` (and the SDK raises as
 * the exception `name`), the legacy query-protocol code (`<Code>` in XML and the
 * `x-amzn-query-error` header), and the HTTP status, all as the SQS service model declares them.
 */
function sqsError(code: string, message: string, queryCode = code, status = 400): AwsError {
  return new AwsError(code, message, { status, queryCode });
}

export const sqsErrors = {
  queueDoesNotExist: () =>
    sqsError(
      'QueueDoesNotExist',
      'The specified queue does not exist.',
      'AWS.SimpleQueueService.NonExistentQueue',
    ),
  queueNameExists: (name: string) =>
    sqsError(
      'QueueNameExists',
      `A queue named ${name} already exists with different attributes; delete it first or create it with the same attributes.`,
      'QueueAlreadyExists',
    ),
  invalidParameterValue: (message: string) => sqsError('InvalidParameterValue', message),
  missingParameter: (name: string) =>
    sqsError('MissingParameter', `The request must contain the parameter ${name}.`),
  invalidAttributeName: (name: string) => sqsError('InvalidAttributeName', `Unknown Attribute ${name}.`),
  invalidAttributeValue: (name: string, reason: string) =>
    sqsError('InvalidAttributeValue', `Invalid value for the parameter ${name}. Reason: ${reason}`),
  invalidMessageContents: () =>
    sqsError(
      'InvalidMessageContents',
      'Invalid characters found. Valid values: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    ),
  receiptHandleIsInvalid: (handle: string) =>
    sqsError(
      'ReceiptHandleIsInvalid',
      `The input receipt handle "${handle.slice(0, 64)}" is not a valid receipt handle.`,
      'ReceiptHandleIsInvalid',
      404,
    ),
  messageNotInflight: () =>
    sqsError(
      'MessageNotInflight',
      'The message referred to is not in flight.',
      'AWS.SimpleQueueService.MessageNotInflight',
    ),
  tooManyEntriesInBatchRequest: (count: number) =>
    sqsError(
      'TooManyEntriesInBatchRequest',
      `Maximum number of entries per request are 10. You have sent ${count}.`,
      'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    ),
  emptyBatchRequest: () =>
    sqsError(
      'EmptyBatchRequest',
      'There should be at least one SendMessageBatchRequestEntry in the request.',
      'AWS.SimpleQueueService.EmptyBatchRequest',
    ),
  batchEntryIdsNotDistinct: (id: string) =>
    sqsError(
      'BatchEntryIdsNotDistinct',
      `Id ${id} repeated.`,
      'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    ),
  invalidBatchEntryId: (id: string) =>
    sqsError(
      'InvalidBatchEntryId',
      `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long; got "${id.slice(0, 100)}".`,
      'AWS.SimpleQueueService.InvalidBatchEntryId',
    ),
  batchRequestTooLong: (size: number, max: number) =>
    sqsError(
      'BatchRequestTooLong',
      `Batch requests cannot be longer than ${max} bytes. You have sent ${size} bytes.`,
      'AWS.SimpleQueueService.BatchRequestTooLong',
    ),
  unsupportedOperation: (message: string) =>
    sqsError('UnsupportedOperation', message, 'AWS.SimpleQueueService.UnsupportedOperation'),
  invalidAction: (action: string) =>
    sqsError('InvalidAction', `The action ${action} is not valid for this endpoint.`, 'InvalidAction'),
  malformedInput: (message: string) => sqsError('MalformedQueryString', message, 'MalformedQueryString'),
};

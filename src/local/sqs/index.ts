export {
  SqsEmulator,
  type SqsEmulatorOptions,
  type SqsCallContext,
  type SqsSnapshot,
  type SendOptions,
} from './sqs-emulator.js';
export { SqsQueue, type StoredMessage } from './queue.js';
export { createSqsHandler } from './handler.js';
export { sqsErrors } from './errors.js';
export { md5Hex, md5OfMessageAttributes, type MessageAttributeValue } from './md5.js';
export { MAX_MESSAGE_BYTES } from './queue-attributes.js';

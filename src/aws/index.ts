export * from './clients.js';
export * from './backoff.js';
export * from './rate-limiter.js';
export * from './command-sender.js';
export * from './md5.js';

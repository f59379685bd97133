export * from './clients.js';
export * from './backoff.js';
export * from './rate-limiter.js';

export { createAdminHandler, ADMIN_PREFIX, type AdminTarget } from './routes.js';
export { LocalAwsAdminClient, DEFAULT_LOCAL_AWS_ENDPOINT } from './client.js';
export { AdminError } from './errors.js';

import { defineSettings } from '../core/config/index.js';
import type { AwsClientOptions } from './clients.js';

/**
 * AWS settings every command that calls ECS or SQS shares. Unset, the AWS SDK's standard chain
 * decides (AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE, credentials files, instance roles).
 */
export const awsSettings = defineSettings([
  {
    key: 'awsEndpoint',
    flag: 'aws-endpoint',
    env: 'BLOX_AWS_ENDPOINT',
    type: 'string',
    placeholder: '<url>',
    description:
      'AWS endpoint URL for ECS and SQS (e.g. a local emulator); default: AWS_ENDPOINT_URL, else AWS (blox scheduler also reads v0.3’s ECS_ENDPOINT).',
  },
  {
    key: 'awsRegion',
    flag: 'region',
    env: 'BLOX_AWS_REGION',
    type: 'string',
    placeholder: '<region>',
    description: 'AWS Region; default: AWS_REGION or the profile.',
  },
] as const);

/** AWS client options from the settings; `fallbackEndpoint` applies when no endpoint setting is given. */
export function awsOptionsFromSettings(
  config: { awsEndpoint?: string | undefined; awsRegion?: string | undefined },
  fallbackEndpoint?: string,
): AwsClientOptions {
  const endpoint = config.awsEndpoint ?? fallbackEndpoint;
  return { ...(endpoint ? { endpoint } : {}), ...(config.awsRegion ? { region: config.awsRegion } : {}) };
}

import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsEmulator, type EcsEmulatorOptions } from '../../../src/local/ecs/index.js';
import { createEmulatorHttpServer } from '../../../src/local/http/server.js';
import { freePort } from '../../support/env.js';

export interface RunningEcs {
  ecs: EcsEmulator;
  client: ECSClient;
  endpoint: string;
  close(): Promise<void>;
}

/** An EcsEmulator behind the real HTTP server on a free loopback port, with an SDK client. */
export async function startEcs(options: EcsEmulatorOptions = {}): Promise<RunningEcs> {
  const ecs = new EcsEmulator({ seed: 42, ...options });
  const server = createEmulatorHttpServer([ecs.handler]);
  const { port } = await server.listen(await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new ECSClient({
    endpoint,
    region: ecs.region,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    // Errors must surface, not be retried away (throttling tests rely on it).
    maxAttempts: 1,
  });
  return {
    ecs,
    client,
    endpoint,
    async close() {
      client.destroy();
      ecs.close();
      await server.close();
    },
  };
}

/** Asserts `promise` rejects with an SDK exception of that name; returns it. */
export async function rejectsWith(
  promise: Promise<unknown>,
  name: string,
): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await promise;
  } catch (err) {
    const e = err as Error;
    if (e.name !== name) throw new Error(`expected ${name}, got ${e.name}: ${e.message}`);
    return e;
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}

/** A manual clock for deterministic timelines. */
export function manualClock(start: string | number): { now: () => number; set(t: string | number): void } {
  let t = typeof start === 'string' ? Date.parse(start) : start;
  return {
    now: () => t,
    set(next) {
      t = typeof next === 'string' ? Date.parse(next) : next;
    },
  };
}

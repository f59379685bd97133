import { parseEntityKey } from '../../../src/core/ecs/keys.js';
import { parseStoredEntity } from '../../../src/core/ecs/stored.js';
import type { StoredEntity } from '../../../src/core/ecs/entities.js';
import type { Store } from '../../../src/store/types.js';

/** What the store holds: entity id → ECS version, per kind (plus the parsed entities). */
export async function storeView(store: Store): Promise<{
  tasks: Map<string, number>;
  instances: Map<string, number>;
  entities: Map<string, StoredEntity>;
}> {
  const tasks = new Map<string, number>();
  const instances = new Map<string, number>();
  const entities = new Map<string, StoredEntity>();
  let after: string | undefined;
  for (;;) {
    const page = await store.range({ prefix: 'ecs/', limit: 1000, ...(after ? { after } : {}) });
    for (const kv of page.items) {
      const k = parseEntityKey(kv.key);
      const e = parseStoredEntity(kv.value);
      if (!k || !e) continue;
      entities.set(kv.key, e);
      (k.kind === 'task' ? tasks : instances).set(k.id, e.detail.version);
    }
    if (!page.next) break;
    after = page.next;
  }
  return { tasks, instances, entities };
}

export function sameVersions(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

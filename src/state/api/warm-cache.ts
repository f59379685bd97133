import type { EntityKind } from '../../core/ecs/entities.js';
import type { StateIndex } from '../index/state-index.js';
import { itemBytes, type EntityFormat } from './serialize.js';

export interface CacheWarmer {
  /** Resolves when every entity of the snapshot has its item serialised (or the warmer stopped). */
  readonly done: Promise<void>;
  stop(): void;
}

/**
 * Serialises the list item of every entity in the index (v0.3 shape by default) in the
 * background, so that the first unpaginated list of a cluster does not pay for 10,000 parse +
 * reshape + stringify steps while other requests wait (~50 ms of CPU per 10,000 tasks). Each
 * event-loop turn does groups of `slice` entities for at most `budgetMs` (default 1 ms), then
 * yields to I/O, so requests meanwhile wait at most about that long. The memory is what heavy
 * querying fills anyway (~0.8 KB per task); entities that change later are serialised on first use.
 */
export function warmItemCache(
  index: StateIndex,
  options: { format?: EntityFormat; slice?: number; budgetMs?: number } = {},
): CacheWarmer {
  const format = options.format ?? 'v03';
  const slice = options.slice ?? 32;
  const budgetMs = options.budgetMs ?? 1;
  let stopped = false;
  let timer: NodeJS.Immediate | undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  void index.whenReady().then(() => {
    if (stopped) return finish();
    const entries = (['instance', 'task'] as EntityKind[]).flatMap((kind) => index.list(kind).items);
    let i = 0;
    const step = () => {
      timer = undefined;
      if (stopped) return finish();
      const t0 = performance.now();
      do {
        const end = Math.min(entries.length, i + slice);
        for (; i < end; i++) itemBytes(entries[i]!, format);
      } while (i < entries.length && performance.now() - t0 < budgetMs);
      if (i < entries.length) timer = setImmediate(step);
      else finish();
    };
    step();
  });
  return {
    done,
    stop() {
      stopped = true;
      if (timer) clearImmediate(timer);
      finish();
    },
  };
}

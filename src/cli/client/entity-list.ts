import { resourceId } from '../../core/arn.js';
import type { EntityKind, StoredInstance, StoredTask } from '../../core/ecs/entities.js';
import { errorMessage } from '../../core/errors.js';
import {
  StreamGoneError,
  watchState,
  type EntityChange,
  type ListFilter,
  type VersionedEntity,
  type Watch,
} from '../../sdk/index.js';
import type { ClientContext } from './context.js';
import { instanceMatchesLocally, taskMatches } from './entity-filter.js';
import { changeRecord, entityRecord, instanceColumns, taskColumns } from './entity-views.js';
import { EXIT } from './exit-codes.js';
import { columnWidths, paint, renderData, renderTable, type Column, type OutputFormat } from './output.js';

export interface EntityListOptions {
  kind: EntityKind;
  filter: ListFilter;
  output: OutputFormat;
  watch: boolean;
  stopSignal: AbortSignal;
}

const NOUN: Record<EntityKind, string> = { task: 'tasks', instance: 'container instances' };

function identity(entity: StoredTask | StoredInstance): string {
  const arn =
    entity.kind === 'task'
      ? (entity as StoredTask).detail.taskArn
      : (entity as StoredInstance).detail.containerInstanceArn;
  return `${entity.account}/${entity.region}/${entity.cluster}/${resourceId(arn)}`;
}

function columnsOf(kind: EntityKind): Array<Column<VersionedEntity>> {
  return (kind === 'task' ? taskColumns(Date.now()) : instanceColumns(Date.now())) as Array<
    Column<VersionedEntity>
  >;
}

/**
 * `blox tasks` / `blox instances`: one list (every page), printed as a table, JSON or YAML; with
 * --watch, then every change from the stream (resuming across reconnects by entityVersion) until
 * Ctrl-C, which ends with exit 0.
 */
export async function listEntities(ctx: ClientContext, options: EntityListOptions): Promise<number> {
  const { kind, filter, output } = options;
  const { items, revision } = await ctx.state.list(kind, filter);
  let widths: number[] = [];
  if (output === 'table') {
    const columns = columnsOf(kind);
    widths = columnWidths(items, columns, { width: ctx.width });
    if (items.length === 0 && !options.watch) ctx.printError(`No ${NOUN[kind]} match.`);
    else ctx.print(renderTable(items, columns, { width: ctx.width, color: ctx.color, minWidths: widths }));
  } else if (!options.watch) {
    ctx.print(renderData(items.map(entityRecord), output));
  } else {
    // A watch prints a stream of records: the listed entities first, as puts, one per line / document.
    for (const item of items)
      printRecord(ctx, output, { type: 'put', entityVersion: String(item.revision), ...item.entity });
  }
  if (!options.watch) return EXIT.ok;
  return watchEntities(ctx, options, items, revision, widths);
}

function printRecord(ctx: ClientContext, output: 'json' | 'yaml', record: Record<string, unknown>): void {
  ctx.print(output === 'json' ? JSON.stringify(record) : `---\n${renderData(record, 'yaml')}`);
}

async function watchEntities(
  ctx: ClientContext,
  options: EntityListOptions,
  listed: VersionedEntity[],
  listRevision: number,
  listedWidths: number[],
): Promise<number> {
  const { kind, filter, output, stopSignal } = options;
  const shown = new Set(listed.map((v) => identity(v.entity)));
  const cql = kind === 'instance' && filter.filter ? filter.filter : undefined;

  /** Matches now? For CQL, the server decides (the query can look at the instance's tasks). */
  const matches = async (change: EntityChange): Promise<boolean> => {
    if (change.type === 'delete') return false;
    if (kind === 'task') return taskMatches(change.entity as StoredTask, filter);
    const instance = change.entity as StoredInstance;
    if (!instanceMatchesLocally(instance, filter)) return false;
    if (!cql) return true;
    const { items } = await ctx.state.list('instance', { ...filter, cluster: instance.cluster });
    const id = identity(instance);
    return items.some((i) => identity(i.entity) === id);
  };

  // Watch rows line up under the listed table, with what happened in a last column.
  const columns: Array<Column<{ change: EntityChange; row: VersionedEntity }>> = [
    ...columnsOf(kind).map((c) => ({
      ...c,
      value: (x: { row: VersionedEntity }) => c.value(x.row),
      color: c.color ? (v: string, x: { row: VersionedEntity }) => c.color!(v, x.row) : undefined,
    })),
    {
      header: 'CHANGE',
      value: (x) =>
        x.change.type === 'delete' ? 'DELETED' : shown.has(identity(x.change.entity)) ? 'UPDATED' : 'ADDED',
      color: (v) => (v === 'DELETED' ? 'red' : v === 'ADDED' ? 'green' : undefined),
    },
  ];

  let queue = Promise.resolve();
  let failure: Error | undefined;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const onChange = (change: EntityChange) => {
    queue = queue
      .then(async () => {
        const id = identity(change.entity);
        const now = await matches(change);
        const was = shown.has(id);
        // A change is shown when the entity matches, and once more when it stops matching (or goes).
        if (!now && !was) return;
        if (output === 'table') {
          const row = { change, row: { entity: change.entity, revision: change.revision } };
          // Fits the terminal with the CHANGE column added (flexible columns give way).
          ctx.print(
            renderTable([row], columns, {
              width: ctx.width,
              color: ctx.color,
              minWidths: listedWidths,
              noHeader: true,
            }),
          );
        } else printRecord(ctx, output, changeRecord(change));
        if (now) shown.add(id);
        else shown.delete(id);
      })
      .catch((err: unknown) => {
        failure = err instanceof Error ? err : new Error(errorMessage(err));
        finish();
      });
  };

  let watch: Watch | undefined;
  const start = (from: number) => {
    watch = watchState(
      ctx.state,
      from,
      {
        onChanges: (changes) => changes.forEach(onChange),
        onError: (err) => {
          if (err instanceof StreamGoneError) void relist();
          else {
            failure = err;
            finish();
          }
        },
      },
      {
        kind,
        ...(filter.cluster ? { cluster: filter.cluster } : {}),
        onReconnect: (err, attempt) =>
          ctx.printError(
            paint(
              `connection to ${ctx.stateEndpoint} lost (${errorMessage(err)}); reconnecting, attempt ${attempt}…`,
              'dim',
              ctx.color,
            ),
          ),
      },
    );
  };
  /** The resume point was compacted away: list again and go on from the new list's revision. */
  const relist = async () => {
    ctx.printError(paint('the stream history moved past this watch; listing again', 'yellow', ctx.color));
    try {
      const again = await ctx.state.list(kind, filter);
      for (const item of again.items)
        onChange({ type: 'put', kind, revision: item.revision, entity: item.entity });
      if (!stopSignal.aborted) start(again.revision + 1);
    } catch (err) {
      failure = err as Error;
      finish();
    }
  };

  if (stopSignal.aborted) return EXIT.ok;
  stopSignal.addEventListener('abort', () => finish(), { once: true });
  start(listRevision + 1);
  await finished;
  await watch?.close();
  await queue;
  if (failure) throw failure;
  return EXIT.ok;
}

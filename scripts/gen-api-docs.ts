// Writes docs/api.md from the OpenAPI document of the app `blox up` serves (state + scheduler
// routes on one port). test/docs/api-reference.test.ts fails when the committed file differs.
// Usage: npm run docs:api
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { createEcsClient } from '../src/aws/clients.js';
import { silentLogger } from '../src/core/logger.js';
import { startScheduler } from '../src/scheduler/daemon/scheduler.js';
import { createHttpApp } from '../src/server/app.js';
import { inProcessClusterSource } from '../src/server/in-process-source.js';
import { startStateService } from '../src/state/service.js';
import { openStore } from '../src/store/open.js';

/** The title `blox up` gives its app (src/cli/commands/up.ts), so docs/api.md matches /openapi.json. */
const TITLE = 'Blox API (cluster state service + daemon scheduler)';

/* eslint-disable @typescript-eslint/no-explicit-any -- OpenAPI documents are read as loose JSON */
type Json = any;

/**
 * The OpenAPI document of `blox up`'s API: the state service and the scheduler composed as
 * `blox up` composes them, on an empty store in a temp dir, never listening and never calling AWS.
 */
export async function buildOpenApiDocument(): Promise<Json> {
  const dir = await mkdtemp(join(tmpdir(), 'blox-api-docs-'));
  const store = await openStore({ backend: 'sqlite', dataDir: dir });
  try {
    const state = await startStateService({ store, createApp: false });
    // No environment exists, so the scheduler never calls ECS: the endpoint is a closed port.
    const ecs = createEcsClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'docs', secretAccessKey: 'docs' },
    });
    const scheduler = await startScheduler({ store, source: inProcessClusterSource(state.index), ecs });
    const app = await createHttpApp({
      logger: silentLogger,
      registry: state.registry,
      plugins: [state.routes, scheduler.routes],
      title: TITLE,
    });
    try {
      await app.ready();
      return JSON.parse(JSON.stringify(app.swagger()));
    } finally {
      await app.close();
      await scheduler.stop();
      await state.close();
      ecs.destroy();
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const METHODS = ['get', 'post', 'put', 'delete', 'patch'];
const TAGS: Record<string, string> = {
  health: 'Health',
  state: 'Cluster state service',
  scheduler: 'Daemon scheduler',
};

const cell = (text: unknown) =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

function typeOf(schema: Json): string {
  if (!schema) return 'any';
  if (schema.enum) return schema.enum.map((v: unknown) => `\`${String(v)}\``).join(' \\| ');
  if (schema.type === 'array') return `array of ${typeOf(schema.items)}`;
  if (Array.isArray(schema.type)) return schema.type.join(' \\| ');
  const base = schema.type ?? (schema.properties ? 'object' : 'any');
  return `${base}${schema.nullable ? ' (nullable)' : ''}${schema.format ? ` (${schema.format})` : ''}`;
}

/** Fields of a schema as a table (nested objects as dotted names, arrays of objects as `name[]`), depth-limited. */
function fieldRows(schema: Json, prefix = '', depth = 0): string[] {
  const rows: string[] = [];
  const target = schema?.type === 'array' ? schema.items : schema;
  const properties = target?.properties ?? {};
  const required = new Set<string>(target?.required ?? []);
  for (const [name, prop] of Object.entries<Json>(properties)) {
    const path = `${prefix}${name}`;
    rows.push(
      `| \`${path}\` | ${typeOf(prop)} | ${required.has(name) ? 'yes' : ''} | ${cell(prop.description)} |`,
    );
    const inner = prop.type === 'array' ? prop.items : prop;
    if (depth < 3 && inner?.properties)
      rows.push(...fieldRows(inner, `${path}${prop.type === 'array' ? '[]' : ''}.`, depth + 1));
  }
  return rows;
}

function schemaSection(title: string, schema: Json): string[] {
  const rows = fieldRows(schema);
  if (rows.length === 0) {
    const open = schema?.additionalProperties ? ' (an object; see the description above)' : '';
    return [`${title}: ${typeOf(schema)}${open}.`, ''];
  }
  return [title + ':', '', '| field | type | required | description |', '|---|---|---|---|', ...rows, ''];
}

/** docs/api.md from an OpenAPI document. Pure. */
export function renderApiReference(doc: Json): string {
  const operations: Array<{ method: string; path: string; op: Json }> = [];
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {}))
    for (const method of METHODS) if (item[method]) operations.push({ method, path, op: item[method] });
  const tagOf = (op: Json) => (op.tags?.[0] as string | undefined) ?? 'other';
  const tags = [...new Set(operations.map((o) => tagOf(o.op)))].sort(
    (a, b) => Object.keys(TAGS).indexOf(a) - Object.keys(TAGS).indexOf(b),
  );
  const anchor = (method: string, path: string) =>
    `${method} ${path}`
      .toLowerCase()
      .replace(/[^a-z0-9 -]/g, '')
      .replace(/ /g, '-');

  const lines: string[] = [
    '# API reference',
    '',
    '<!-- Generated by `npm run docs:api` from the OpenAPI document of the app `blox up` serves; do not edit by hand. -->',
    '',
    `${doc.info?.title ?? 'Blox API'}. \`blox up\` serves every route below on one port`,
    '(default `http://127.0.0.1:2000`); `blox state-service` serves the cluster state routes and',
    '`blox scheduler` the scheduler routes when they run apart. Each running API also serves this',
    'document as OpenAPI at `/openapi.json` and as Swagger UI at `/docs`, plus `/healthz` (liveness),',
    '`/readyz` (readiness: 503 with the reason until the persisted state is loaded) and `/metrics`',
    '(Prometheus).',
    '',
    'Errors have one shape everywhere: `{"code": "…", "message": "…"}` with the HTTP status (messages',
    "carried over from Blox v0.3 keep v0.3's text). The `blox` client commands wrap these routes: see",
    '[cli.md](cli.md); the concepts behind them are in [concepts.md](concepts.md).',
    '',
    '## Routes',
    '',
    '| method | path | summary |',
    '|---|---|---|',
  ];
  for (const tag of tags)
    for (const { method, path, op } of operations.filter((o) => tagOf(o.op) === tag))
      lines.push(
        `| ${method.toUpperCase()} | [\`${path}\`](#${anchor(method, path)}) | ${cell(op.summary)} |`,
      );
  lines.push('');

  for (const tag of tags) {
    lines.push(`## ${TAGS[tag] ?? tag}`, '');
    for (const { method, path, op } of operations.filter((o) => tagOf(o.op) === tag)) {
      lines.push(`### ${method.toUpperCase()} ${path}`, '');
      if (op.summary) lines.push(`${op.summary}.`.replace(/\.\.$/, '.'), '');
      if (op.description) lines.push(op.description, '');
      const params: Json[] = op.parameters ?? [];
      for (const where of ['path', 'query', 'header']) {
        const list = params.filter((p) => p.in === where);
        if (list.length === 0) continue;
        lines.push(
          `${where === 'path' ? 'Path' : where === 'query' ? 'Query' : 'Header'} parameters:`,
          '',
          '| name | type | required | description |',
          '|---|---|---|---|',
          ...list.map(
            (p) =>
              `| \`${p.name === '*' ? 'arn' : p.name}\` | ${typeOf(p.schema)} | ${p.required ? 'yes' : ''} | ${cell(p.description)} |`,
          ),
          '',
        );
      }
      const body = op.requestBody?.content?.['application/json']?.schema;
      if (body)
        lines.push(...schemaSection(`Request body${op.requestBody.required ? '' : ' (optional)'}`, body));
      const responses = Object.entries<Json>(op.responses ?? {});
      if (responses.length > 0) {
        lines.push('Responses:', '', '| status | meaning |', '|---|---|');
        for (const [status, r] of responses) {
          const schema = r.content?.['application/json']?.schema;
          const isError =
            schema?.properties?.code &&
            schema?.properties?.message &&
            Object.keys(schema.properties).length === 2;
          const meaning =
            r.description && r.description !== 'Default Response'
              ? r.description
              : isError
                ? 'error `{code, message}`'
                : 'success';
          lines.push(`| ${status} | ${cell(meaning)} |`);
        }
        lines.push('');
        const ok = op.responses?.['200']?.content?.['application/json']?.schema;
        if (ok && fieldRows(ok).length > 0) lines.push(...schemaSection('Response 200', ok));
      }
    }
  }
  return (
    lines
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n'
  );
}

const TARGET = new URL('../docs/api.md', import.meta.url);

/** docs/api.md as committed: rendered, then formatted with the repository's prettier settings (so format:check passes). */
export async function apiReference(): Promise<string> {
  const options = await resolveConfig(fileURLToPath(TARGET));
  return format(renderApiReference(await buildOpenApiDocument()), { ...options, parser: 'markdown' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(TARGET, await apiReference());
  console.log('wrote docs/api.md');
}

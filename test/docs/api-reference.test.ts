import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { apiReference, buildOpenApiDocument, renderApiReference } from '../../scripts/gen-api-docs.js';

describe('API reference (docs/api.md)', () => {
  it('is up to date with the routes `blox up` serves (run `npm run docs:api` to refresh)', async () => {
    const committed = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    assert.equal(committed, await apiReference());
  });

  it('documents both route sets: every state and scheduler route is in it', async () => {
    const doc = await buildOpenApiDocument();
    const text = renderApiReference(doc);
    const paths = Object.keys(doc.paths);
    for (const must of [
      '/v1/tasks',
      '/v1/instances',
      '/v1/stream/tasks',
      '/v1/environments',
      '/v1/environments/{name}/rollback',
    ])
      assert.ok(paths.includes(must), `${must} is in the OpenAPI document`);
    for (const [path, item] of Object.entries<Record<string, unknown>>(doc.paths))
      for (const method of Object.keys(item))
        assert.ok(
          text.includes(`### ${method.toUpperCase()} ${path}\n`),
          `${method.toUpperCase()} ${path} has a section`,
        );
  });

  it('renders parameters, bodies and response fields from a schema', () => {
    const text = renderApiReference({
      info: { title: 'T' },
      paths: {
        '/x/{id}': {
          put: {
            tags: ['scheduler'],
            summary: 'Change x',
            parameters: [
              { in: 'path', name: 'id', required: true, schema: { type: 'string' }, description: 'The id' },
              { in: 'query', name: 'mode', schema: { type: 'string', enum: ['a', 'b'] } },
            ],
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['n'],
                    properties: { n: { type: 'integer', description: 'How | many' } },
                  },
                },
              },
            },
            responses: {
              200: {
                description: 'Default Response',
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      properties: {
                        list: {
                          type: 'array',
                          items: { type: 'object', properties: { v: { type: 'string' } } },
                        },
                      },
                    },
                  },
                },
              },
              404: {
                description: 'The message as text',
                headers: { 'x-blox-error-code': { schema: { type: 'string' } } },
                content: { 'text/plain': { schema: { type: 'string' } } },
              },
            },
          },
        },
      },
    });
    assert.ok(text.includes('| PUT | [`/x/{id}`](#put-xid) | Change x |'));
    assert.ok(text.includes('| `id` | string | yes | The id |'));
    assert.ok(text.includes('| `mode` | `a` \\| `b` |  |  |'));
    assert.ok(text.includes('| `n` | integer | yes | How \\| many |'));
    assert.ok(text.includes('| `list[].v` | string |  |  |'));
    assert.ok(text.includes('| 404 | error (message as text, code in the header) |'));
  });
});

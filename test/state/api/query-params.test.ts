import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HttpError } from '../../../src/server/http-error.js';
import { listBody, listJson } from '../../../src/state/api/serialize.js';
import {
  decodeNextToken,
  encodeNextToken,
  parseEntityVersion,
  parseListQuery,
  parseRawQuery,
  parseStreamQuery,
} from '../../../src/state/api/query-params.js';
import { toIndexEntry } from '../../../src/state/index/entry.js';
import { keyOf, task } from './fixtures.js';

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HttpError, String(err));
    return `${err.status} ${err.code}`;
  }
  return 'ok';
};

describe('query validation (pure)', () => {
  it("parses v0.3's entityVersion rule: int64 >= 0 in base 10", () => {
    assert.equal(parseEntityVersion('0'), 0);
    assert.equal(parseEntityVersion('007'), 7);
    assert.equal(parseEntityVersion('+5'), 5);
    for (const bad of ['-1', '1.5', 'abc', '', ' 5', '0x10', '9223372036854775808'])
      assert.equal(
        codeOf(() => parseEntityVersion(bad)),
        '400 InvalidEntityVersion',
        bad,
      );
    assert.equal(
      codeOf(() => parseEntityVersion('9223372036854775807')),
      '400 EntityVersionOutOfRange',
    );
  });

  it('applies the v0.3 order to every combination of one bad filter of each class', () => {
    const bad = {
      unsupported: 'foo=1',
      redundant: 'startedBy=a&startedBy=b',
      status: 'status=nope',
      cluster: 'cluster=a/b',
    };
    const rank = ['UnsupportedFilter', 'RedundantFilter', 'InvalidStatus', 'InvalidCluster'];
    const names = Object.keys(bad) as Array<keyof typeof bad>;
    for (let mask = 1; mask < 16; mask++) {
      const parts = names.filter((_, i) => mask & (1 << i)).map((n) => bad[n]);
      const expected = rank[names.findIndex((_, i) => mask & (1 << i))]!;
      assert.equal(
        codeOf(() => parseListQuery('task', parseRawQuery(`/v1/tasks?${parts.join('&')}`))),
        `400 ${expected}`,
        parts.join('&'),
      );
    }
  });

  it('reads filters: statuses upper-cased, cluster ARN → name + account + region, attribute repeatable', () => {
    const q = parseListQuery(
      'task',
      parseRawQuery(
        '/v1/tasks?status=running&desiredStatus=Stopped&cluster=arn%3Aaws%3Aecs%3Aeu-west-1%3A123456789012%3Acluster%2Fprod&limit=5',
      ),
    );
    assert.deepEqual(q.filter, {
      status: 'RUNNING',
      desiredStatus: 'STOPPED',
      cluster: 'prod',
      account: '123456789012',
      region: 'eu-west-1',
    });
    assert.equal(q.limit, 5);
    const i = parseListQuery('instance', parseRawQuery('/v1/instances?attribute=a&attribute=b%3Dc&filter=x'));
    assert.deepEqual(i.attributes, [{ name: 'a' }, { name: 'b', value: 'c' }]);
    assert.equal(i.cql, 'x');
    assert.equal(
      codeOf(() => parseListQuery('instance', parseRawQuery('/v1/instances?status=draining'))),
      'ok',
    );
  });

  it('stream queries ignore unknown keys (as v0.3) but validate the known ones', () => {
    assert.equal(
      parseStreamQuery('task', parseRawQuery('/x?entityVersion=3&foo=bar&foo=baz')).entityVersion,
      3,
    );
    assert.equal(
      codeOf(() => parseStreamQuery('task', parseRawQuery('/x?cluster=a&cluster=b'))),
      '400 RedundantFilter',
    );
    assert.deepEqual(parseStreamQuery('all', parseRawQuery('/x?status=whatever&cluster=c')).filter, {
      cluster: 'c',
    });
  });

  it('nextToken round-trips and refuses tokens of another kind or garbage', () => {
    const key = 'ecs/task/1/r/c/id';
    assert.equal(decodeNextToken('task', encodeNextToken(key)), key);
    assert.equal(
      codeOf(() => decodeNextToken('instance', encodeNextToken(key))),
      '400 InvalidParameter',
    );
    assert.equal(
      codeOf(() => decodeNextToken('task', '!!')),
      '400 InvalidParameter',
    );
  });
});

describe('list serialization', () => {
  it('the Buffer chunks hold exactly the one-string document, of the announced size, for every size around a chunk boundary', () => {
    const entries = Array.from({ length: 600 }, (_, i) => {
      // every fifth task carries non-ASCII text, so both the byte-copy and the UTF-8 path are taken
      const t = task({ id: `s${i}`, ...(i % 5 === 0 ? { startedBy: `dépl🚀-${i}` } : {}) });
      return toIndexEntry(keyOf(t), JSON.stringify(t), i + 1);
    });
    const itemSize = Buffer.byteLength(listJson(entries.slice(0, 1), 'v03')) - 14;
    for (const format of ['v03', 'native'] as const) {
      for (const n of [0, 1, 2, 63, 64, 65, 257, 600]) {
        for (const token of [undefined, 'tok"\\é']) {
          for (const chunkBytes of [1, itemSize, itemSize + 1, 2 * itemSize + 1, 4096, 64 * 1024]) {
            const whole = listJson(entries.slice(0, n), format, token);
            const body = listBody(entries.slice(0, n), format, token);
            const chunks = [...body.chunks(chunkBytes)];
            const bytes = Buffer.concat(chunks);
            const what = `${format} n=${n} token=${token} chunk=${chunkBytes}`;
            assert.equal(bytes.toString('utf8'), whole, what);
            assert.equal(body.byteLength, bytes.length, what);
            assert.equal(Buffer.concat([...body.chunks()]).toString('utf8'), whole, `${what}, read twice`);
            if (chunkBytes >= 4096)
              for (const c of chunks.slice(0, -1)) assert.ok(c.length <= chunkBytes, what);
          }
        }
        assert.doesNotThrow(() => JSON.parse(listJson(entries.slice(0, n), format)));
      }
    }
  });
});

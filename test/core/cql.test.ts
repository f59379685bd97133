import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  CqlSyntaxError,
  compareVersions,
  javaRegexToJs,
  matchesCql,
  parseCql,
  parseCqlDate,
  type CqlInstanceView,
} from '../../src/core/cql/index.js';

const SAMPLES = '/work/shared/reference/ecs-samples/api';
const CI1_ARN =
  'arn:aws:ecs:us-east-1:123456789012:container-instance/default/5b2e6f0c8a3d4e719c4b2a1f0e9d8c7b';
const CI2_ARN =
  'arn:aws:ecs:us-east-1:123456789012:container-instance/default/9c8d7e6f5a4b4c3d8e2f1a0b9c8d7e6f';

interface SampleInstance {
  containerInstanceArn: string;
  ec2InstanceId: string;
  agentConnected: boolean;
  registeredAt: number;
  runningTasksCount: number;
  versionInfo: { agentVersion: string };
  attributes: { name: string; value?: string }[];
}

/** CI1 and CI2 as the sample describe response shows them, as CQL views. */
function sampleViews(): Map<string, CqlInstanceView> {
  const response = JSON.parse(
    readFileSync(`${SAMPLES}/describe-container-instances.response.json`, 'utf8'),
  ) as {
    containerInstances: SampleInstance[];
  };
  const groups: Record<string, string[]> = {
    [CI1_ARN]: ['family:web-worker'],
    [CI2_ARN]: ['family:batch-job'],
  };
  return new Map(
    response.containerInstances.map((ci) => [
      ci.containerInstanceArn,
      {
        ec2InstanceId: ci.ec2InstanceId,
        agentConnected: ci.agentConnected,
        agentVersion: ci.versionInfo.agentVersion,
        registeredAt: ci.registeredAt * 1000,
        runningTasksCount: ci.runningTasksCount,
        attributes: Object.fromEntries(ci.attributes.map((a) => [a.name, a.value])),
        taskGroups: groups[ci.containerInstanceArn] ?? [],
      },
    ]),
  );
}

const view = (over: Partial<CqlInstanceView> = {}): CqlInstanceView => ({
  ec2InstanceId: 'i-0123456789abcdef0',
  agentConnected: true,
  agentVersion: '1.89.2',
  registeredAt: Date.parse('2025-03-10T09:58:12.104Z'),
  runningTasksCount: 2,
  attributes: {
    'ecs.instance-type': 't3.small',
    'ecs.availability-zone': 'us-east-1a',
    stack: 'prod',
    flag: undefined,
    size: '10',
  },
  taskGroups: ['family:web', 'service:api'],
  ...over,
});

const match = (filter: string, v: CqlInstanceView = view()): boolean => matchesCql(parseCql(filter), v);

describe('cluster query language: the request examples (ecs-samples)', () => {
  const file = JSON.parse(
    readFileSync(`${SAMPLES}/list-container-instances.request-examples.json`, 'utf8'),
  ) as {
    examples: {
      id: string;
      confidence: string;
      request: { filter?: string; status?: string; maxResults?: number };
      expectedContainerInstanceArns: string[] | null;
    }[];
  };
  const views = sampleViews();
  const withFilter = file.examples.filter((e) => e.request.filter !== undefined);
  it('has the filter examples we expect to cover', () => {
    assert.ok(withFilter.length >= 20, `only ${withFilter.length} filter examples`);
  });
  for (const example of withFilter) {
    it(`${example.id} (${example.confidence})`, () => {
      const filter = example.request.filter!;
      if (example.expectedContainerInstanceArns === null) {
        assert.throws(() => parseCql(filter), CqlSyntaxError);
        return;
      }
      const expression = parseCql(filter);
      // The `status` examples select ACTIVE; both sample instances are ACTIVE.
      const got = [...views].filter(([, v]) => matchesCql(expression, v)).map(([arn]) => arn);
      assert.deepEqual(got, example.expectedContainerInstanceArns);
    });
  }
});

describe('cluster query language: operators', () => {
  it('equality in symbol and word form', () => {
    assert.equal(match('attribute:ecs.instance-type == t3.small'), true);
    assert.equal(match('attribute:ecs.instance-type equals t3.small'), true);
    assert.equal(match('attribute:ecs.instance-type EQUALS t3.small'), true);
    assert.equal(match('attribute:ecs.instance-type != t3.small'), false);
    assert.equal(match('attribute:ecs.instance-type not_equals m5.large'), true);
  });
  it('quoted values keep spaces and special characters', () => {
    const v = view({ attributes: { label: 'a b (c)' } });
    assert.equal(match("attribute:label == 'a b (c)'", v), true);
    assert.equal(match("attribute:label in ['x', 'a b (c)']", v), true);
  });
  it('in and !in lists, with and without quotes and spaces', () => {
    assert.equal(match('attribute:ecs.availability-zone in [us-east-1a, us-east-1b]'), true);
    assert.equal(match('attribute:ecs.availability-zone in [us-east-1b,us-east-1c]'), false);
    assert.equal(match('attribute:ecs.availability-zone !in [us-east-1b]'), true);
    assert.equal(match('attribute:ecs.availability-zone not_in [us-east-1a]'), false);
    assert.equal(match("ec2InstanceId in ['i-0123456789abcdef0']"), true);
  });
  it('exists and !exists, including attributes without a value', () => {
    assert.equal(match('attribute:flag exists'), true);
    assert.equal(match('attribute:flag !exists'), false);
    assert.equal(match('attribute:nope exists'), false);
    assert.equal(match('attribute:nope !exists'), true);
    assert.equal(match('attribute:nope not_exists'), true);
    assert.equal(match('attribute:flag == x'), false, 'an attribute without a value equals nothing');
  });
  it('absent attributes match no comparison, not even !=', () => {
    for (const f of [
      'attribute:nope != x',
      'attribute:nope == x',
      'attribute:nope !in [x]',
      'attribute:nope !~ x.*',
    ])
      assert.equal(match(f), false, f);
  });
  it('=~ is a full match with Java syntax', () => {
    assert.equal(match('attribute:ecs.instance-type =~ t3.*'), true);
    assert.equal(match('attribute:ecs.instance-type =~ t3'), false, 'full match, not find');
    assert.equal(match('attribute:ecs.instance-type matches t[0-9]\\.small'), true);
    assert.equal(match('attribute:ecs.instance-type !~ m5.*'), true);
    assert.equal(match('attribute:ecs.instance-type not_matches t3.*'), false);
    assert.equal(match("attribute:ecs.instance-type =~ '(?i)T3\\.SMALL'"), true);
    assert.equal(match("attribute:ecs.instance-type =~ '(t3|m5)\\.small'"), true);
    assert.equal(match('attribute:ecs.instance-type =~ \\p{Alnum}+\\.small'), true);
  });
  it('ordering: numbers numerically, agentVersion by version order, registeredAt by date', () => {
    assert.equal(match('runningTasksCount == 2'), true);
    assert.equal(match('runningTasksCount > 1'), true);
    assert.equal(match('runningTasksCount greater_than_equal 3'), false);
    assert.equal(match('runningTasksCount less_than 10'), true, '10 is compared as a number, not a string');
    assert.equal(match('agentVersion < 1.100.0'), true, '1.89.2 < 1.100.0 by version order');
    assert.equal(match('agentVersion >= 1.89.2'), true);
    assert.equal(match('agentVersion == 1.89.2'), true);
    assert.equal(match('agentVersion > 1.89'), true);
    assert.equal(match('agentVersion less_than_equal 1.9.0'), false);
    assert.equal(match('registeredAt == 2025-03-10'), true, 'a bare date is the whole day');
    assert.equal(match('registeredAt < 2025-03-10'), false);
    assert.equal(match('registeredAt <= 2025-03-10'), true);
    assert.equal(match('registeredAt > 2025-03-09'), true);
    assert.equal(match('registeredAt >= 2025-03-10T09:58:12Z'), true);
    assert.equal(match('registeredAt > 2025-03-10T09:58:12'), false, 'within the same second');
    assert.equal(
      match('registeredAt < 2025-03-10T10:58:12+01:00'),
      false,
      'the offset moves it to 09:58:12Z',
    );
    assert.equal(match('registeredAt < 2025-03-10T10:58:13+01:00'), true);
    assert.equal(match('attribute:size > 9'), true, 'numeric attributes compare as numbers');
    assert.equal(match('attribute:stack > pro'), true, 'others compare as strings');
  });
  it('agentConnected compares as true/false', () => {
    assert.equal(match('agentConnected == true'), true);
    assert.equal(match('agentConnected == false', view({ agentConnected: false })), true);
    assert.equal(match('agentConnected in [false]'), false);
    assert.equal(match('agentConnected =~ t.*'), true);
  });
  it('task:group is multi-valued', () => {
    assert.equal(match('task:group == service:api'), true);
    assert.equal(match('task:group == family:other'), false);
    assert.equal(match('task:group != family:web'), false, 'one of its groups is family:web');
    assert.equal(match('task:group != family:other'), true);
    assert.equal(match('not(task:group == family:web)'), false);
    assert.equal(match('task:group in [family:x, family:web]'), true);
    assert.equal(match('task:group =~ service:.*'), true);
    assert.equal(match('task:group exists'), true);
    assert.equal(match('task:group !exists', view({ taskGroups: [] })), true);
    assert.equal(match('task:group != family:web', view({ taskGroups: [] })), false);
  });
  it('ec2InstanceId', () => {
    assert.equal(match('ec2InstanceId == i-0123456789abcdef0'), true);
    assert.equal(match('ec2InstanceId =~ i-01.*'), true);
    assert.equal(match('ec2InstanceId !in [i-1, i-2]'), true);
  });
});

describe('cluster query language: combinators and precedence', () => {
  it('and binds tighter than or; not tighter than and', () => {
    // true or (false and false) = true; (true or false) and false would be false.
    assert.equal(match('runningTasksCount == 2 or runningTasksCount == 5 and runningTasksCount == 6'), true);
    assert.equal(
      match('(runningTasksCount == 2 or runningTasksCount == 5) and runningTasksCount == 6'),
      false,
    );
    // not a and b = (not a) and b
    assert.equal(match('not runningTasksCount == 5 and runningTasksCount == 2'), true);
    assert.equal(match('!(runningTasksCount == 2) || agentConnected == true'), true);
    assert.equal(match('runningTasksCount == 2 && !agentConnected == false'), true);
  });
  it('keywords are case-insensitive and need no spaces around parentheses', () => {
    assert.equal(match('NOT(runningTasksCount == 5) AND (agentConnected == true)'), true);
    assert.equal(match('(runningTasksCount==2)&&(agentConnected==true)'), true);
  });
  it('nested parentheses and double negation', () => {
    assert.equal(match('((runningTasksCount == 2))'), true);
    assert.equal(match('not not runningTasksCount == 2'), true);
    assert.equal(match('!!(runningTasksCount == 2)'), true);
  });
});

describe('cluster query language: syntax errors name a position and what was expected', () => {
  const cases: [string, number, RegExp][] = [
    ['attribute:ecs.instance-type === m5.large', 30, /value/],
    ['', 0, /expression/],
    ['   ', 0, /expression/],
    ['foo == bar', 0, /subject/],
    ['attribute: == x', 10, /attribute name/],
    ['runningTasksCount', 17, /operator/],
    ['runningTasksCount ~= 1', 18, /operator/],
    ['runningTasksCount == two', 21, /whole number/],
    ['runningTasksCount in [1]', 18, /one of/],
    ['agentVersion == latest', 16, /version/],
    ['agentVersion =~ 1.*', 13, /one of/],
    ['registeredAt > yesterday', 15, /date/],
    ['registeredAt > 2025-02-30', 15, /date/],
    ['agentConnected == yes', 18, /true or false/],
    ['attribute:a in x', 15, /'\['/],
    ['attribute:a in [x', 17, /',' or '\]'/],
    ['attribute:a in []', 16, /list value/],
    ["attribute:a == 'open", 15, /closing quote/],
    ['attribute:a == x and', 20, /subject/],
    ['attribute:a == x y', 17, /'and', 'or'/],
    ['(attribute:a == x', 17, /'\)'/],
    ['attribute:a == x)', 16, /'and', 'or'/],
    ['attribute:a =~ [', 15, /regular expression/],
    ['attribute:a == [x]', 15, /value/],
    ["attribute:a =~ '(unclosed'", 15, /regular expression/],
  ];
  for (const [filter, position, expected] of cases) {
    it(JSON.stringify(filter), () => {
      assert.throws(
        () => parseCql(filter),
        (err: unknown) => {
          assert.ok(err instanceof CqlSyntaxError, String(err));
          assert.equal(err.position, position, err.message);
          assert.match(err.expected, expected);
          assert.match(err.message, new RegExp(`position ${position}`));
          return true;
        },
      );
    });
  }
  it('rejects filters longer than 1024 characters', () => {
    assert.throws(() => parseCql(`attribute:a == ${'x'.repeat(1100)}`), CqlSyntaxError);
  });
});

describe('cluster query language: value helpers', () => {
  it('parses the four documented date forms', () => {
    const t = Date.parse('2018-06-18T22:28:28Z');
    assert.deepEqual(parseCqlDate('2018-06-18T22:28:28+00:00'), [t, t + 1000]);
    assert.deepEqual(parseCqlDate('2018-06-18T22:28:28Z'), [t, t + 1000]);
    assert.deepEqual(parseCqlDate('2018-06-18T22:28:28'), [t, t + 1000]);
    const d = Date.parse('2018-06-18T00:00:00Z');
    assert.deepEqual(parseCqlDate('2018-06-18'), [d, d + 86_400_000]);
    assert.equal(parseCqlDate('2018-6-18'), undefined);
    assert.equal(parseCqlDate('2018-06-18T25:00:00'), undefined);
  });
  it('orders versions by component', () => {
    assert.equal(compareVersions([1, 10], [1, 9]), 1);
    assert.equal(compareVersions([1, 2], [1, 2, 0]), 0);
    assert.equal(compareVersions([1], [1, 0, 1]), -1);
  });
  it('translates Java regex constructs', () => {
    assert.equal(javaRegexToJs('a++b').test('aab'), true);
    assert.equal(javaRegexToJs('\\Qa.b\\E').test('a.b'), true);
    assert.equal(javaRegexToJs('\\Qa.b\\E').test('axb'), false);
    assert.equal(javaRegexToJs('(?>ab)c').test('abc'), true);
    assert.equal(javaRegexToJs('[?+]x').test('+x'), true);
    assert.equal(javaRegexToJs('\\Aabc\\z').test('abc'), true);
    assert.throws(() => javaRegexToJs('\\p{Foo}'));
  });
});

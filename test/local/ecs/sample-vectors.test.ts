// Replays the timeline behind /work/shared/reference/ecs-samples with a manual clock, through the
// real SDK over HTTP, and compares every event detail and API body with the sample vectors field
// for field. Only what cannot be equal is normalised: our random IDs are mapped to the samples'
// IDs; pull/exec-stop instants (which the samples invent) are checked for form, not value; and
// container-instance versions, which count more changes here than the samples show, are checked
// to increase.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import {
  CreateClusterCommand,
  DeregisterContainerInstanceCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  StartTaskCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
  type Attribute,
  type Resource,
} from '@aws-sdk/client-ecs';
import type { EcsChange } from '../../../src/local/ecs/index.js';
import { manualClock, startEcs, type RunningEcs } from './helpers.js';

const DIR = '/work/shared/reference/ecs-samples';
const read = (p: string) => JSON.parse(readFileSync(`${DIR}/${p}`, 'utf8'));
const CI1_ID = '5b2e6f0c8a3d4e719c4b2a1f0e9d8c7b';
const CI2_ID = '9c8d7e6f5a4b4c3d8e2f1a0b9c8d7e6f';
const TASK_ID = '3f9a1c7e5b2d4e8fa6c0b4d2e8f1a3c5';
const CONTAINER_ID = '7c2d9e4a-1b3f-4c5d-8e6f-0a1b2c3d4e5f';
const RUNTIME_ID = '1b166a88424766218a0929b10db89816a42a6199d0ebf266847034a95ffce85d';
const DIGEST = 'sha256:c8468aed5fd5e9c951de4c55a04ba5ef8906e820f6490443ae5471d2fd700061';
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

describe('ECS emulator against the sample vectors', () => {
  const clock = manualClock('2025-02-20T08:00:00Z');
  let run: RunningEcs;
  const changes: EcsChange[] = [];
  const ids = new Map<string, string>();
  const described = read('api/describe-container-instances.response.json');
  const sampleCi1 = described.containerInstances[0];
  const sampleCi2 = described.containerInstances[1];
  let startResponse: unknown;
  let describeTasksResponse: unknown;
  let describeInstancesResponse: unknown;
  /** ListContainerInstances answers for every request example, taken while CI1 and CI2 stand as in the samples. */
  const listAnswers = new Map<string, { arns?: string[]; nextToken?: string; error?: string }>();
  const listExamples = read('api/list-container-instances.request-examples.json').examples as {
    id: string;
    confidence: string;
    request: Record<string, unknown>;
    expectedContainerInstanceArns: string[] | null;
  }[];

  /** Maps our IDs to the samples' so bodies can be compared whole. */
  const normalise = (value: unknown): unknown => {
    let text = JSON.stringify(value);
    for (const [ours, theirs] of ids) text = text.split(ours).join(theirs);
    return JSON.parse(text);
  };
  const taskEvents = () => changes.filter((c) => c.kind === 'task');
  const ci1Events = () =>
    changes.filter(
      (c) =>
        c.kind === 'container-instance' &&
        ids.get(String(c.detail.containerInstanceArn).split('/').pop()!) === CI1_ID,
    );

  const registration = (sample: typeof sampleCi1, doc: Record<string, string>) => ({
    cluster: 'default',
    instanceIdentityDocument: JSON.stringify(doc),
    instanceIdentityDocumentSignature: 'not-checked',
    totalResources: (sample.registeredResources as Resource[]).map((r) =>
      r.type === 'STRINGSET'
        ? { name: r.name, type: r.type, stringSetValue: r.stringSetValue }
        : { name: r.name, type: r.type, integerValue: r.integerValue },
    ),
    versionInfo: sample.versionInfo,
    attributes: sample.attributes as Attribute[],
  });

  before(async () => {
    run = await startEcs({ now: clock.now, taskStartDelayMs: 9319, taskStopDelayMs: 3342 });
    run.ecs.onChange((c) => changes.push(c));
    const { client } = run;
    await client.send(new CreateClusterCommand({ clusterName: 'default' }));

    // CI2: a t3.small registered in February, almost full with a batch job.
    clock.set('2025-02-20T14:03:11.5Z');
    const ci2 = await client.send(
      new RegisterContainerInstanceCommand(
        registration(sampleCi2, {
          instanceId: 'i-0f9e8d7c6b5a43210',
          instanceType: 't3.small',
          availabilityZone: 'us-east-1b',
          imageId: 'ami-0c1d2e3f4a5b6c7d8',
          architecture: 'x86_64',
        }),
      ),
    );
    ids.set(ci2.containerInstance!.containerInstanceArn!.split('/').pop()!, CI2_ID);
    const ci2Total = Object.fromEntries(
      (sampleCi2.registeredResources as Resource[]).map((r) => [r.name, r.integerValue]),
    );
    await client.send(
      new RegisterTaskDefinitionCommand({
        family: 'batch-job',
        containerDefinitions: [
          { name: 'job', image: 'batch:1', cpu: ci2Total.CPU! - 1024, memory: ci2Total.MEMORY! - 304 },
        ],
      }),
    );
    await client.send(
      new StartTaskCommand({
        taskDefinition: 'batch-job',
        containerInstances: [ci2.containerInstance!.containerInstanceArn!],
      }),
    );

    // CI1 registers at 09:58:12.104.
    clock.set('2025-03-10T09:58:12.104Z');
    const ci1 = await client.send(
      new RegisterContainerInstanceCommand(
        registration(sampleCi1, {
          instanceId: 'i-0a1b2c3d4e5f67890',
          instanceType: 'm5.large',
          availabilityZone: 'us-east-1a',
          imageId: 'ami-0c1d2e3f4a5b6c7d8',
          architecture: 'x86_64',
        }),
      ),
    );
    const ci1Id = ci1.containerInstance!.containerInstanceArn!.split('/').pop()!;
    ids.set(ci1Id, CI1_ID);

    for (let revision = 1; revision <= 7; revision++)
      await client.send(
        new RegisterTaskDefinitionCommand({
          family: 'web-worker',
          cpu: '256',
          memory: '512',
          networkMode: 'bridge',
          containerDefinitions: [
            {
              name: 'web',
              image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web-worker:1.4.2',
              cpu: 256,
              memory: 512,
              memoryReservation: 256,
              essential: true,
              portMappings: [{ containerPort: 80, hostPort: 8080, protocol: 'tcp' }],
            },
          ],
        }),
      );

    // 10:15:30.412 StartTask on CI1 (by ID) and CI2: CI1 accepts, CI2 lacks memory.
    clock.set('2025-03-10T10:15:30.412Z');
    const request = read('api/start-task.request.json');
    request.containerInstances = [ci1Id, [...ids].find(([, v]) => v === CI2_ID)![0]];
    const started = await client.send(new StartTaskCommand(request));
    startResponse = { tasks: started.tasks, failures: started.failures };
    const task = started.tasks![0]!;
    ids.set(task.taskArn!.split('/').pop()!, TASK_ID);
    ids.set(task.containers![0]!.containerArn!.split('/').pop()!, CONTAINER_ID);
    // Raw HTTP here: the SDK drops `clusterArn`, which the wire (and the sample) carries.
    const raw = await fetch(run.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeContainerInstances',
      },
      body: JSON.stringify({
        cluster: 'default',
        containerInstances: [
          ci1Id,
          'arn:aws:ecs:us-east-1:123456789012:container-instance/default/0d1e2f3a4b5c4d6e8f7a6b5c4d3e2f1a',
        ],
      }),
    });
    assert.equal(raw.status, 200);
    describeInstancesResponse = await raw.json();
    // And the SDK parses the same body.
    const viaSdk = await client.send(
      new DescribeContainerInstancesCommand({ cluster: 'default', containerInstances: [ci1Id] }),
    );
    assert.equal(viaSdk.containerInstances![0]!.remainingResources![1]!.integerValue, 7168);

    // Every ListContainerInstances request example, verbatim, against this moment.
    let page1Token: string | undefined;
    for (const example of listExamples) {
      const request = { ...example.request };
      if (request.nextToken !== undefined) request.nextToken = page1Token;
      try {
        const out = await client.send(new ListContainerInstancesCommand(request));
        const arns = out.containerInstanceArns!.map((a) => normalise(a) as string);
        listAnswers.set(example.id, { arns, ...(out.nextToken ? { nextToken: out.nextToken } : {}) });
        if (example.id === 'paginate-page-1') page1Token = out.nextToken;
      } catch (err) {
        listAnswers.set(example.id, { error: (err as Error).name });
      }
    }

    // 10:15:39.731 the agent reports RUNNING.
    clock.set('2025-03-10T10:15:39.731Z');
    run.ecs.tick();
    const runningTask = taskEvents().at(-1)!.detail;
    const container = (runningTask.containers as Record<string, unknown>[])[0]!;
    ids.set(String(container.runtimeId), RUNTIME_ID);
    ids.set(String(container.imageDigest), DIGEST);
    const d = await client.send(
      new DescribeTasksCommand({
        cluster: 'default',
        tasks: [
          task.taskArn!.split('/').pop()!,
          'arn:aws:ecs:us-east-1:123456789012:task/default/e4d3c2b1a0f94e8d7c6b5a4f3e2d1c0b',
        ],
      }),
    );
    describeTasksResponse = { tasks: d.tasks, failures: d.failures };

    // 10:42:05.118 StopTask; 10:42:08.46 the task is STOPPED.
    clock.set('2025-03-10T10:42:05.118Z');
    await client.send(new StopTaskCommand({ cluster: 'default', task: task.taskArn! }));
    clock.set('2025-03-10T10:42:08.46Z');
    run.ecs.tick();

    // 11:00:00.25 drain; 11:05:12.602 deregister.
    clock.set('2025-03-10T11:00:00.25Z');
    await client.send(
      new UpdateContainerInstancesStateCommand({ containerInstances: [ci1Id], status: 'DRAINING' }),
    );
    clock.set('2025-03-10T11:05:12.602Z');
    await client.send(new DeregisterContainerInstanceCommand({ containerInstance: ci1Id }));
  });
  after(() => run.close());

  /** Raw JSON as the wire carried it (the SDK turns epoch numbers into Dates). */
  const wire = (sdkOutput: unknown): unknown =>
    JSON.parse(
      JSON.stringify(sdkOutput, (_k, v) => (typeof v === 'string' && ISO.test(v) ? Date.parse(v) / 1000 : v)),
    );

  it('task PENDING event equals task-pending.json', () => {
    const first = taskEvents().find((c) => ids.get(String(c.detail.taskArn).split('/').pop()!) === TASK_ID)!;
    assert.deepEqual(normalise(first.detail), read('events/task-pending.json').detail);
    assert.equal(first.time, '2025-03-10T10:15:30.412Z');
  });

  it('task RUNNING event equals task-running.json (pull times checked for form and order)', () => {
    const events = taskEvents().filter(
      (c) => ids.get(String(c.detail.taskArn).split('/').pop()!) === TASK_ID,
    );
    const detail = normalise(events[1]!.detail) as Record<string, unknown>;
    const expected = read('events/task-running.json').detail;
    for (const k of ['pullStartedAt', 'pullStoppedAt']) {
      assert.match(String(detail[k]), ISO);
      detail[k] = expected[k];
    }
    assert.deepEqual(detail, expected);
    assert.ok(
      Date.parse(String(events[1]!.detail.pullStartedAt)) <=
        Date.parse(String(events[1]!.detail.pullStoppedAt)),
    );
  });

  it('task stopping and STOPPED events equal task-stopping.json and task-stopped.json', () => {
    const events = taskEvents().filter(
      (c) => ids.get(String(c.detail.taskArn).split('/').pop()!) === TASK_ID,
    );
    assert.deepEqual(
      events.map((e) => e.detail.version),
      [1, 2, 3, 4],
    );
    const stopping = normalise(events[2]!.detail) as Record<string, unknown>;
    const expectedStopping = read('events/task-stopping.json').detail;
    for (const k of ['pullStartedAt', 'pullStoppedAt']) stopping[k] = expectedStopping[k];
    assert.deepEqual(stopping, expectedStopping);
    const stopped = normalise(events[3]!.detail) as Record<string, unknown>;
    const expectedStopped = read('events/task-stopped.json').detail;
    for (const k of ['pullStartedAt', 'pullStoppedAt', 'executionStoppedAt']) {
      assert.match(String(stopped[k]), ISO);
      stopped[k] = expectedStopped[k];
    }
    assert.deepEqual(stopped, expectedStopped);
  });

  it('StartTask response equals start-task.response.json', () => {
    assert.deepEqual(normalise(wire(startResponse)), read('api/start-task.response.json'));
  });

  it('DescribeTasks response equals describe-tasks.response.json', () => {
    const body = normalise(wire(describeTasksResponse)) as { tasks: Record<string, unknown>[] };
    const expected = read('api/describe-tasks.response.json');
    for (const k of ['pullStartedAt', 'pullStoppedAt']) {
      assert.equal(typeof body.tasks[0]![k], 'number');
      body.tasks[0]![k] = expected.tasks[0][k];
    }
    assert.deepEqual(body, expected);
  });

  it('DescribeContainerInstances shows CI1 as describe-container-instances.response.json does', () => {
    const body = normalise(describeInstancesResponse) as {
      containerInstances: unknown[];
      failures: unknown[];
    };
    assert.deepEqual(body.containerInstances[0], sampleCi1);
    assert.deepEqual(body.failures, described.failures);
  });

  it('container-instance events match the instance samples, with strictly increasing versions', () => {
    const events = ci1Events();
    const versions = events.map((e) => e.detail.version as number);
    for (let i = 1; i < versions.length; i++)
      assert.ok(versions[i]! > versions[i - 1]!, `versions ${versions}`);
    const pick = (pred: (d: Record<string, unknown>) => boolean) => {
      const e = events.find((x) => pred(x.detail));
      assert.ok(e, 'event not emitted');
      return normalise(e.detail) as Record<string, unknown>;
    };
    const cases: [string, (d: Record<string, unknown>) => boolean][] = [
      ['events/instance-registered.json', (d) => d.version === 1],
      ['events/instance-task-placed.json', (d) => d.pendingTasksCount === 1],
      ['events/instance-draining.json', (d) => d.status === 'DRAINING'],
      ['events/instance-deregistered.json', (d) => d.status === 'INACTIVE'],
    ];
    for (const [file, pred] of cases) {
      const actual = pick(pred);
      const expected = read(file).detail;
      assert.ok((actual.version as number) >= expected.version, `${file}: version ${actual.version}`);
      actual.version = expected.version;
      if (file.includes('task-placed')) {
        // The samples reserve 6 ms after the task event; here both happen at the StartTask instant.
        assert.equal(actual.updatedAt, '2025-03-10T10:15:30.412Z');
        actual.updatedAt = expected.updatedAt;
      }
      assert.deepEqual(actual, expected, file);
    }
  });

  it('answers every ListContainerInstances request example as expected', () => {
    assert.equal(listExamples.length, 27);
    for (const example of listExamples) {
      const got = listAnswers.get(example.id)!;
      if (example.expectedContainerInstanceArns === null) {
        assert.equal(got.error, 'InvalidParameterException', example.id);
        continue;
      }
      assert.equal(got.error, undefined, `${example.id}: ${got.error}`);
      if (example.id.startsWith('paginate-')) continue; // order is unspecified: checked below
      assert.deepEqual(new Set(got.arns), new Set(example.expectedContainerInstanceArns), example.id);
      assert.equal(got.nextToken, undefined, example.id);
    }
    // Pagination: one per page, a token after the first, none after the last, both seen once.
    const p1 = listAnswers.get('paginate-page-1')!;
    const p2 = listAnswers.get('paginate-page-2')!;
    assert.equal(p1.arns!.length, 1);
    assert.ok(p1.nextToken);
    assert.equal(p2.arns!.length, 1);
    assert.equal(p2.nextToken, undefined);
    assert.deepEqual(
      new Set([...p1.arns!, ...p2.arns!]),
      new Set([
        `arn:aws:ecs:us-east-1:123456789012:container-instance/default/${CI1_ID}`,
        `arn:aws:ecs:us-east-1:123456789012:container-instance/default/${CI2_ID}`,
      ]),
    );
  });

  it('every event carries ISO times and no nulls; attributes without value have no value key', () => {
    for (const c of changes) {
      assert.match(c.time, ISO);
      assert.equal(c.time, c.detail.updatedAt);
      assert.ok(!JSON.stringify(c.detail).includes('null'), 'no null members');
      for (const a of (c.detail.attributes ?? []) as Record<string, unknown>[])
        if ('value' in a) assert.equal(typeof a.value, 'string');
    }
  });
});

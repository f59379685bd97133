import { AwsError } from '../http/aws-error.js';
import type { EcsContext } from './context.js';
import {
  asInput,
  decodeToken,
  encodeToken,
  invalidParameter,
  optObjectList,
  optString,
  pageSize,
  reqString,
  type Input,
} from './validate.js';

/** PutAttributes, DeleteAttributes, ListAttributes (targetType container-instance only). */

const NAME_RE = /^[a-zA-Z0-9_./\\-]{1,128}$/;
const VALUE_RE = /^[a-zA-Z0-9_./\\@: -]{1,128}$/;
/** ECS limit on attributes per PutAttributes call. */
const MAX_PUT = 10;
/** ECS limit on custom attributes (all but the reserved `ecs.` ones) per resource. */
const MAX_CUSTOM = 10;

function isReserved(name: string): boolean {
  return name.startsWith('ecs.') || name.startsWith('com.amazonaws.ecs.');
}

export function validateAttribute(
  a: Input,
  options: { allowBuiltIn?: boolean } = {},
): { name: string; value?: string } {
  const name = a.name;
  if (typeof name !== 'string' || !NAME_RE.test(name))
    throw invalidParameter(
      `Invalid attribute name '${String(name)}': up to 128 letters, numbers, hyphens, underscores, periods, forward slashes and back slashes.`,
    );
  if (!options.allowBuiltIn && isReserved(name))
    throw invalidParameter(`Attribute name '${name}' is reserved: the ecs. prefix is set by Amazon ECS.`);
  const value = a.value;
  if (value === undefined || value === null) return { name };
  if (typeof value !== 'string' || !VALUE_RE.test(value) || value !== value.trim())
    throw invalidParameter(
      `Invalid attribute value for '${name}': up to 128 letters, numbers, hyphens, underscores, periods, at signs, colons, slashes and spaces, with no leading or trailing space.`,
    );
  return { name, value };
}

function targetOf(ctx: EcsContext, cluster: Parameters<EcsContext['cluster']>[0], a: Input) {
  const targetType = a.targetType ?? 'container-instance';
  if (targetType !== 'container-instance')
    throw invalidParameter(
      `Invalid targetType '${String(targetType)}': only container-instance is supported.`,
    );
  if (typeof a.targetId !== 'string' || a.targetId === '')
    throw invalidParameter('Attribute targetId cannot be empty.');
  // ECS needs the type to resolve a short ID; a full ARN names its own.
  if (a.targetType === undefined && !a.targetId.startsWith('arn:'))
    throw invalidParameter(
      `Attribute '${String(a.name)}' names its target by the short ID '${a.targetId}': give targetType (container-instance) or the target's full ARN.`,
    );
  const inst = ctx.state.findInstance(ctx.cluster(cluster).name, a.targetId);
  if (!inst) throw new AwsError('TargetNotFoundException', `Could not find the target ${a.targetId}.`);
  return inst;
}

export function putAttributes(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  ctx.cluster(input);
  const list = optObjectList(input, 'attributes');
  if (!list || list.length === 0) throw invalidParameter('Attributes cannot be empty.');
  if (list.length > MAX_PUT)
    throw new AwsError(
      'AttributeLimitExceededException',
      `You can specify up to ${MAX_PUT} attributes per call.`,
    );
  const resolved = list.map((a) => ({ attr: validateAttribute(a), inst: targetOf(ctx, input, a) }));
  // Checked for every target before any is changed: a refused call changes nothing.
  const added = new Map<(typeof resolved)[number]['inst'], Set<string>>();
  for (const { attr, inst } of resolved) {
    if (inst.attributes.has(attr.name)) continue;
    let names = added.get(inst);
    if (!names) added.set(inst, (names = new Set()));
    names.add(attr.name);
  }
  for (const [inst, names] of added) {
    let custom = names.size;
    for (const name of inst.attributes.keys()) if (!isReserved(name)) custom++;
    if (custom > MAX_CUSTOM)
      throw new AwsError(
        'AttributeLimitExceededException',
        `You can apply up to ${MAX_CUSTOM} custom attributes for each resource: ${inst.arn} would have ${custom}. Remove some with DeleteAttributes first.`,
      );
  }
  const touched = new Set<(typeof resolved)[number]['inst']>();
  for (const { attr, inst } of resolved) {
    inst.attributes.set(attr.name, attr.value);
    touched.add(inst);
  }
  for (const inst of touched) ctx.instanceChanged(inst);
  return {
    attributes: resolved.map(({ attr, inst }) => ({
      ...attr,
      targetType: 'container-instance',
      targetId: inst.arn,
    })),
  };
}

export function deleteAttributes(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  ctx.cluster(input);
  const list = optObjectList(input, 'attributes');
  if (!list || list.length === 0) throw invalidParameter('Attributes cannot be empty.');
  const resolved = list.map((a) => ({ attr: validateAttribute(a), inst: targetOf(ctx, input, a) }));
  const touched = new Set<(typeof resolved)[number]['inst']>();
  for (const { attr, inst } of resolved) if (inst.attributes.delete(attr.name)) touched.add(inst);
  for (const inst of touched) ctx.instanceChanged(inst);
  return {
    attributes: resolved.map(({ attr, inst }) => ({
      ...attr,
      targetType: 'container-instance',
      targetId: inst.arn,
    })),
  };
}

export function listAttributes(ctx: EcsContext, raw: unknown): unknown {
  const input = asInput(raw);
  const cluster = ctx.cluster(input);
  const targetType = reqString(input, 'targetType', 'targetType');
  if (targetType !== 'container-instance')
    throw invalidParameter(`Invalid targetType '${targetType}': only container-instance is supported.`);
  const name = optString(input, 'attributeName');
  const value = optString(input, 'attributeValue');
  if (value !== undefined && name === undefined)
    throw invalidParameter('attributeValue can only be specified together with attributeName.');
  const limit = pageSize(input);
  const after = decodeToken(input, 'attributes');
  const all: { name: string; value?: string; targetType: string; targetId: string }[] = [];
  const index = ctx.state.instancesOf(cluster.name);
  if (index)
    for (const inst of index.values(ctx.state.isInstanceLive)) {
      if (inst.status === 'INACTIVE') continue;
      for (const [n, v] of inst.attributes) {
        if (name !== undefined && n !== name) continue;
        if (value !== undefined && v !== value) continue;
        all.push(
          v === undefined
            ? { name: n, targetType, targetId: inst.arn }
            : { name: n, value: v, targetType, targetId: inst.arn },
        );
      }
    }
  const page = all.slice(after, after + limit);
  return {
    attributes: page,
    nextToken: after + limit < all.length ? encodeToken('attributes', after + limit) : undefined,
  };
}

import { matchesCql, type CqlExpression, type CqlInstanceView } from '../../core/cql/index.js';

/**
 * Task placement as ECS does it for RunTask, as a pure function over plain candidate views:
 * filter out instances that cannot take the task (agent, constraints, CPU, memory, ports), then
 * narrow the rest by each strategy in order (binpack, spread, random) and take one; repeat for
 * each task with the chosen instance's resources updated. Failures name, per instance, the first
 * reason it was refused, as ECS's `failures[]` does.
 */

export interface PlacementCandidate {
  arn: string;
  agentConnected: boolean;
  remainingCpu: number;
  remainingMemory: number;
  /** Host ports unavailable: reserved by the instance or in use. */
  busyTcp: ReadonlySet<string>;
  busyUdp: ReadonlySet<string>;
  attributes: Record<string, string | undefined>;
  /** Task group → count of tasks on the instance. */
  groups: ReadonlyMap<string, number>;
  /**
   * For memberOf: the CQL view, built only when a memberOf constraint asks (RunTask considers
   * every instance of the cluster; most calls need no view). Kept current as tasks are placed.
   */
  view: () => CqlInstanceView;
}

export type PlacementConstraint =
  { type: 'distinctInstance' } | { type: 'memberOf'; expression: CqlExpression };
export type PlacementStrategy =
  { type: 'binpack'; field: 'cpu' | 'memory' } | { type: 'spread'; field: string } | { type: 'random' };

export interface PlacementRequest {
  count: number;
  group: string;
  cpu: number;
  memory: number;
  tcp: readonly string[];
  udp: readonly string[];
  constraints: readonly PlacementConstraint[];
  strategies: readonly PlacementStrategy[];
  random: () => number;
}

export interface PlacementResult {
  /** Index into the candidate list for each placed task, in order. */
  placements: number[];
  failures: { arn: string; reason: string }[];
}

export function placeTasks(candidates: PlacementCandidate[], request: PlacementRequest): PlacementResult {
  const placements: number[] = [];
  for (let n = 0; n < request.count; n++) {
    const feasible: number[] = [];
    const refused: { arn: string; reason: string }[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const reason = refusal(candidates[i]!, request);
      if (reason) refused.push({ arn: candidates[i]!.arn, reason });
      else feasible.push(i);
    }
    if (feasible.length === 0) return { placements, failures: refused };
    const chosen = choose(candidates, feasible, request);
    placements.push(chosen);
    take(candidates[chosen]!, request);
  }
  return { placements, failures: [] };
}

/** The first reason an instance cannot take the task, or undefined if it can. */
export function refusal(
  c: PlacementCandidate,
  r: Omit<PlacementRequest, 'count' | 'strategies' | 'random'>,
): string | undefined {
  if (!c.agentConnected) return 'AGENT';
  for (const constraint of r.constraints) {
    if (constraint.type === 'distinctInstance' && (c.groups.get(r.group) ?? 0) > 0) return 'ATTRIBUTE';
    if (constraint.type === 'memberOf' && !matchesCql(constraint.expression, c.view())) return 'ATTRIBUTE';
  }
  if (c.remainingCpu < r.cpu) return 'RESOURCE:CPU';
  if (c.remainingMemory < r.memory) return 'RESOURCE:MEMORY';
  if (r.tcp.some((p) => c.busyTcp.has(p)) || hasDuplicates(r.tcp)) return 'RESOURCE:PORTS';
  if (r.udp.some((p) => c.busyUdp.has(p)) || hasDuplicates(r.udp)) return 'RESOURCE:PORTS_UDP';
  return undefined;
}

function hasDuplicates(ports: readonly string[]): boolean {
  return ports.length > 1 && new Set(ports).size !== ports.length;
}

function take(c: PlacementCandidate, r: PlacementRequest): void {
  c.remainingCpu -= r.cpu;
  c.remainingMemory -= r.memory;
  // Copy on write: candidates may share sets and maps with the instance they describe.
  if (r.tcp.length) c.busyTcp = new Set([...c.busyTcp, ...r.tcp]);
  if (r.udp.length) c.busyUdp = new Set([...c.busyUdp, ...r.udp]);
  const groups = new Map(c.groups);
  groups.set(r.group, (groups.get(r.group) ?? 0) + 1);
  c.groups = groups;
  // the view before this placement, called on its candidate (it may be a method)
  const before = c.view;
  let view: CqlInstanceView | undefined;
  c.view = () => {
    if (view) return view;
    const was = before.call(c);
    return (view = { ...was, runningTasksCount: was.runningTasksCount + 1, taskGroups: [...groups.keys()] });
  };
}

function choose(candidates: PlacementCandidate[], feasible: number[], r: PlacementRequest): number {
  let set = feasible;
  for (const s of r.strategies) {
    if (set.length <= 1) break;
    if (s.type === 'random') return set[Math.floor(r.random() * set.length)]!;
    if (s.type === 'binpack') {
      const value = (i: number) =>
        s.field === 'cpu' ? candidates[i]!.remainingCpu : candidates[i]!.remainingMemory;
      const min = minimum(set, value);
      set = set.filter((i) => value(i) === min);
    } else {
      // spread: the value with the fewest tasks of this group across ALL candidates wins.
      const key = spreadKey(s.field);
      const counts = new Map<string, number>();
      for (const c of candidates) {
        const k = key(c);
        counts.set(k, (counts.get(k) ?? 0) + (c.groups.get(r.group) ?? 0));
      }
      const min = minimum(set, (i) => counts.get(key(candidates[i]!))!);
      set = set.filter((i) => counts.get(key(candidates[i]!)) === min);
    }
  }
  if (r.strategies.length === 0) return set[Math.floor(r.random() * set.length)]!;
  return set[0]!;
}

function spreadKey(field: string): (c: PlacementCandidate) => string {
  if (field === 'instanceId' || field === 'host') return (c) => c.arn;
  const name = field.slice('attribute:'.length);
  return (c) => c.attributes[name] ?? '';
}

/** Smallest value over the set (a loop: spreading 100,000 arguments into Math.min overflows the stack). */
function minimum(set: readonly number[], value: (i: number) => number): number {
  let min = Infinity;
  for (const i of set) {
    const v = value(i);
    if (v < min) min = v;
  }
  return min;
}

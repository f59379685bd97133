import type { MachineInfo } from './machine.js';
import type { Summary } from './stats.js';

export type Backend = 'sqlite' | 'etcd' | 'none';

/** One measured figure: the median of ≥ 3 runs with min and max, and what bounds it. */
export interface Figure extends Summary {
  scenario: string;
  /** What was measured, e.g. 'get p99'. */
  name: string;
  backend: Backend;
  /** Scale of the run (tasks, events, clients, instances): the growth tables use it. */
  size: number;
  sizeLabel: string;
  unit: string;
  better: 'higher' | 'lower';
  /** What bounds this figure, measured in the same run (or computed from published ECS limits). */
  ceiling?: { label: string; median: number; unit: string; min?: number; max?: number };
  /** median / ceiling.median: a fraction of the ceiling (higher is better) or a multiple of the bound (lower is better). */
  ratio?: number;
  /** 1-minute load average when the figure's runs started and ended. */
  load: { start: number; end: number };
  note?: string;
}

export interface ScenarioOutcome {
  scenario: string;
  status: 'ok' | 'failed';
  error?: string;
  /** Commit the scenario ran at ('+' when the working tree had changes) and when. */
  commit?: string;
  date?: string;
  seconds: number;
  /** CPU seconds of the scenario's process tree (its children included; the suite's shared etcd not). */
  cpuSeconds?: number;
  figures: Figure[];
}

export interface SuiteResult {
  suite: 'quick' | 'full';
  machine: MachineInfo;
  load: { start: [number, number, number]; end: [number, number, number] };
  runs: number;
  seconds: number;
  /** CPU seconds of every scenario's process tree and the shared etcd. */
  cpuSeconds?: number;
  scenarios: ScenarioOutcome[];
  targets: TargetOutcome[];
}

/** A performance target from the issues, evaluated against one figure. */
export interface Target {
  id: string;
  text: string;
  scenario: string;
  figure: string;
  backend: Backend;
  /** The size the target is stated for; undefined: the largest size measured. */
  size?: number;
  /** Compare the median (default) or the ratio to the ceiling. */
  on?: 'median' | 'ratio' | 'max';
  op: '<=' | '>=';
  value: number;
  unit: string;
}

export interface TargetOutcome {
  id: string;
  text: string;
  scenario: string;
  backend: Backend;
  status: 'met' | 'not met' | 'not measured';
  reason?: string;
  figure?: Figure;
  /** The compared value (median, ratio or max). */
  measured?: number;
  /** measured / target value: how far from the target (≤ 1 is met for ≤ targets, ≥ 1 for ≥ targets). */
  ratioToTarget?: number;
}

/** What every scenario module exports. */
export interface ScenarioContext {
  quick: boolean;
  runs: number;
  backends: Array<'sqlite' | 'etcd'>;
  verbose: boolean;
  /** The suite's shared etcd member (bench/run.ts); a scenario without one starts its own (bench/lib/etcd.ts). */
  etcdEndpoints?: string[];
}

export type ScenarioRun = (ctx: ScenarioContext) => Promise<Figure[]>;

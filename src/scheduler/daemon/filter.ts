import { matchesCql, parseCql, type CqlExpression, type CqlInstanceView } from '../../core/cql/index.js';
import type { InstanceView } from '../framework/views.js';
import type { InstanceFilter } from './model.js';

/** A compiled instance filter; `key` identifies equal filters so one pass evaluates each once. */
export interface CompiledFilter {
  key: string;
  matches(instance: InstanceView, taskGroups: () => readonly string[]): boolean;
}

export const MATCH_ALL: CompiledFilter = { key: '', matches: () => true };

/** Compiles attributes + query. Throws CqlSyntaxError for a bad query (validated at the API first). */
export function compileFilter(filter: InstanceFilter | undefined): CompiledFilter {
  const attributes = filter?.attributes ?? [];
  const query = filter?.query?.trim() ? filter.query : undefined;
  if (attributes.length === 0 && !query) return MATCH_ALL;
  const ast: CqlExpression | undefined = query ? parseCql(query) : undefined;
  const key = JSON.stringify([attributes, query ?? null]);
  return {
    key,
    matches(instance, taskGroups) {
      for (const a of attributes) {
        if (!Object.prototype.hasOwnProperty.call(instance.attributes, a.name)) return false;
        if (a.value !== undefined && instance.attributes[a.name] !== a.value) return false;
      }
      if (!ast) return true;
      const view: CqlInstanceView = {
        ec2InstanceId: instance.ec2InstanceId,
        agentConnected: instance.agentConnected,
        agentVersion: instance.agentVersion,
        registeredAt: instance.registeredAt ?? 0,
        runningTasksCount: instance.runningTasksCount,
        attributes: instance.attributes,
        taskGroups: taskGroups(),
      };
      return matchesCql(ast, view);
    },
  };
}

/** Child-process side of a scenario run: imports bench/scenarios/<name>.ts and runs it, keeping the figures measured before a failure. */
import { Figures } from './figure.js';
import type { Figure, ScenarioContext } from './types.js';

export type ScenarioModule = { run(ctx: ScenarioContext, figures: Figures): Promise<void> };

export async function childMain(init: { scenario: string; ctx: ScenarioContext }) {
  return {
    async run(): Promise<{ figures: Figure[]; error?: string }> {
      const figures = new Figures(init.scenario);
      try {
        const mod = (await import(
          new URL(`../scenarios/${init.scenario}.ts`, import.meta.url).href
        )) as ScenarioModule;
        await mod.run(init.ctx, figures);
        return { figures: figures.list };
      } catch (err) {
        return {
          figures: figures.list,
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        };
      }
    },
  };
}

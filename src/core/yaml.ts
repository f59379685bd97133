/**
 * YAML on demand: the `yaml` package is 70-odd modules, and most runs of the CLI (every server
 * command without a YAML config file, every client command without `-o yaml`) never need it, so it
 * is loaded the first time it is used rather than at start-up.
 */
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

type YamlModule = typeof Yaml;

let yaml: YamlModule | undefined;
function load(): YamlModule {
  return (yaml ??= createRequire(import.meta.url)('yaml') as YamlModule);
}

export function parseYaml(text: string): unknown {
  return load().parse(text);
}

export function toYaml(data: unknown): string {
  return load().stringify(data);
}

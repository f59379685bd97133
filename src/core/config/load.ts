import { readFileSync } from 'node:fs';
import { parseYaml } from '../yaml.js';
import { ConfigError, errorMessage } from '../errors.js';
import { coerce } from './parse.js';
import type { SettingSpec } from './settings.js';

type ValueOf<S extends SettingSpec> = S['type'] extends 'int' | 'number' | 'duration'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'list'
      ? string[]
      : string;

/** The loaded settings: a value for each key; `undefined` only where the setting has no default. */
export type Config<T extends readonly SettingSpec[]> = {
  [S in T[number] as S['key']]: S extends { default: unknown }
    ? ValueOf<S>
    : S extends { required: true }
      ? ValueOf<S>
      : ValueOf<S> | undefined;
};

/** Where each value came from, for `blox config` style diagnostics and for error messages. */
export type Source = 'flag' | 'env' | 'file' | 'default';

export interface ConfigInput {
  /** Values given on the command line, by setting key (only those actually given). */
  flags?: Record<string, unknown>;
  /** Environment; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Config file path; when absent, the `config` flag or env setting is used if present. */
  file?: string;
}

export interface Loaded<T extends readonly SettingSpec[]> {
  config: Config<T>;
  sources: Record<string, Source>;
}

/**
 * The one config loader: flags > environment variables > config file > defaults.
 * Every problem is collected and reported at once, each naming the setting, where the bad
 * value came from, and what is expected.
 */
export function loadConfig<const T extends readonly SettingSpec[]>(
  specs: T,
  input: ConfigInput = {},
): Loaded<T> {
  const env = input.env ?? process.env;
  const flags = input.flags ?? {};
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const sources: Record<string, Source> = {};

  const filePath = input.file ?? (flags.config as string | undefined) ?? env.BLOX_CONFIG;
  const file = filePath ? readConfigFile(filePath, specs, problems) : {};

  for (const spec of specs) {
    const candidates: Array<[Source, unknown, string]> = [];
    if (flags[spec.key] !== undefined) candidates.push(['flag', flags[spec.key], `--${spec.flag}`]);
    if (spec.env && env[spec.env] !== undefined && env[spec.env] !== '')
      candidates.push(['env', env[spec.env], spec.env]);
    if (file[spec.key] !== undefined) candidates.push(['file', file[spec.key], `${spec.key} in ${filePath}`]);
    const chosen = candidates[0];
    if (!chosen) {
      if (spec.default !== undefined) {
        // Through the same parsing as every other source: a duration default may be written '10s'
        // (taken raw, such a default once reached setInterval as a string: a resync every ~1 ms).
        const result = coerce(spec, spec.default);
        if (!result.ok)
          throw new Error(
            `setting ${spec.key}: its default ${JSON.stringify(spec.default)} is not ${result.expected}`,
          );
        values[spec.key] = result.value;
        sources[spec.key] = 'default';
      } else if (spec.required) {
        problems.push(`${describe(spec)} is required: ${spec.description}`);
      }
      continue;
    }
    const [source, raw, origin] = chosen;
    const result = coerce(spec, raw);
    if (!result.ok) {
      problems.push(`invalid value ${JSON.stringify(raw)} for ${origin}: expected ${result.expected}`);
      continue;
    }
    const extra = spec.validate?.(result.value);
    if (extra) {
      problems.push(`invalid value ${JSON.stringify(raw)} for ${origin}: ${extra}`);
      continue;
    }
    values[spec.key] = result.value;
    sources[spec.key] = source;
  }

  if (problems.length > 0) {
    const message =
      problems.length === 1
        ? problems[0]!
        : `${problems.length} configuration problems:\n  - ${problems.join('\n  - ')}`;
    throw new ConfigError(message, { problems });
  }
  return { config: values as Config<T>, sources };
}

function describe(spec: SettingSpec): string {
  return spec.env ? `--${spec.flag} (or ${spec.env})` : `--${spec.flag}`;
}

function readConfigFile(
  path: string,
  specs: readonly SettingSpec[],
  problems: string[],
): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`cannot read config file ${path}: ${errorMessage(err)}`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    problems.push(`config file ${path} is not valid YAML or JSON: ${errorMessage(err)}`);
    return {};
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`config file ${path} must hold a mapping of setting names to values`);
    return {};
  }
  const known = new Set(specs.map((s) => s.key));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key))
      problems.push(`unknown setting "${key}" in ${path}; known settings: ${[...known].sort().join(', ')}`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Where settings come from, in precedence order: flags > environment (`PORT`, `HOST`,
 * `ITDA_*`) > config file (`--config path.json` or `ITDA_CONFIG`) > defaults. The result
 * is validated once; any bad value stops the start with an error naming it.
 *
 * The same loader serves `itda serve` (`loadServerConfig`) and `itda turn` (a
 * `ConfigSpec` of its own, turn-cli-config.ts).
 */
import { readFileSync } from 'node:fs';
import {
  coerceSetting,
  configError,
  DEFAULT_SERVER_CONFIG,
  SETTINGS,
  type ServerConfig,
  type Setting,
  validateServerConfig,
} from './config.ts';

/** Flag values as `util.parseArgs` returns them, keyed by flag name. */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface ConfigSources {
  flags?: FlagValues;
  env?: Record<string, string | undefined>;
  /** Reads the config file. Default: `fs.readFileSync(path, 'utf8')`. */
  readFile?: (path: string) => string;
}

/** A settings table with its defaults and its whole-config check. */
export interface ConfigSpec<C> {
  settings: readonly Setting<C>[];
  defaults: C;
  /** Checks a complete config; throws `invalid_config`. Returns it. */
  validate(config: C): C;
  /** Environment variable naming the config file when `--config` is not given. Default `ITDA_CONFIG`. */
  configEnv?: string;
}

export const SERVER_CONFIG_SPEC: ConfigSpec<ServerConfig> = {
  settings: SETTINGS,
  defaults: DEFAULT_SERVER_CONFIG,
  validate: validateServerConfig,
};

/** A config file's settings, keyed as in `C`. Unknown keys are an error (typos). */
export function readConfigFileOf<C>(spec: ConfigSpec<C>, path: string, readFile: (path: string) => string): Partial<C> {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    throw configError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw configError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw configError(`config file ${path} must hold a JSON object`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) {
    const setting = spec.settings.find((s) => s.key === key);
    if (setting === undefined) {
      throw configError(
        `config file ${path}: unknown setting "${key}" (known: ${spec.settings.map((s) => s.key).join(', ')})`,
      );
    }
    out[key] = coerceSetting(setting, value, `${path}: ${key}`);
  }
  return out as Partial<C>;
}

/** The `itda serve` config file's settings, keyed as in ServerConfig. */
export function readConfigFile(path: string, readFile: (path: string) => string): Partial<ServerConfig> {
  return readConfigFileOf(SERVER_CONFIG_SPEC, path, readFile);
}

/** Builds and validates a config of `spec` from flags, environment and config file. */
export function loadConfig<C>(spec: ConfigSpec<C>, sources: ConfigSources = {}): C {
  const flags = sources.flags ?? {};
  const env = sources.env ?? {};
  const readFile = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));

  const configPath =
    typeof flags.config === 'string' ? flags.config : env[spec.configEnv ?? 'ITDA_CONFIG'] || undefined;
  const fromFile = configPath === undefined ? {} : readConfigFileOf(spec, configPath, readFile);

  const fromEnv: Record<string, unknown> = {};
  for (const s of spec.settings) {
    const name = s.env.find((e) => env[e] !== undefined && env[e] !== '');
    if (name !== undefined) fromEnv[s.key] = coerceSetting(s, env[name], `$${name}`);
  }

  const fromFlags: Record<string, unknown> = {};
  for (const s of spec.settings) {
    const value = flags[s.flag];
    if (value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    fromFlags[s.key] = coerceSetting(s, value, `--${s.flag}`);
  }

  return spec.validate({ ...spec.defaults, ...fromFile, ...fromEnv, ...fromFlags } as C);
}

/** Builds and validates the `itda serve` config from flags, environment and config file. */
export function loadServerConfig(sources: ConfigSources = {}): ServerConfig {
  return loadConfig(SERVER_CONFIG_SPEC, sources);
}

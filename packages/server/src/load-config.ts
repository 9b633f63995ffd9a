/**
 * Where settings come from, in precedence order: flags > environment (`PORT`, `HOST`,
 * `ITDA_*`) > config file (`--config path.json` or `ITDA_CONFIG`) > defaults. The result
 * is validated once; any bad value stops the start with an error naming it.
 */
import { readFileSync } from 'node:fs';
import {
  coerceSetting,
  configError,
  DEFAULT_SERVER_CONFIG,
  SETTINGS,
  type ServerConfig,
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

/** The config file's settings, keyed as in ServerConfig. Unknown keys are an error (typos). */
export function readConfigFile(path: string, readFile: (path: string) => string): Partial<ServerConfig> {
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
    const setting = SETTINGS.find((s) => s.key === key);
    if (setting === undefined) {
      throw configError(
        `config file ${path}: unknown setting "${key}" (known: ${SETTINGS.map((s) => s.key).join(', ')})`,
      );
    }
    out[key] = coerceSetting(setting, value, `${path}: ${key}`);
  }
  return out as Partial<ServerConfig>;
}

/** Builds and validates the server config from flags, environment and config file. */
export function loadServerConfig(sources: ConfigSources = {}): ServerConfig {
  const flags = sources.flags ?? {};
  const env = sources.env ?? {};
  const readFile = sources.readFile ?? ((p: string) => readFileSync(p, 'utf8'));

  const configPath = typeof flags.config === 'string' ? flags.config : env.ITDA_CONFIG || undefined;
  const fromFile = configPath === undefined ? {} : readConfigFile(configPath, readFile);

  const fromEnv: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const name = s.env.find((e) => env[e] !== undefined && env[e] !== '');
    if (name !== undefined) fromEnv[s.key] = coerceSetting(s, env[name], `$${name}`);
  }

  const fromFlags: Record<string, unknown> = {};
  for (const s of SETTINGS) {
    const value = flags[s.flag];
    if (value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    fromFlags[s.key] = coerceSetting(s, value, `--${s.flag}`);
  }

  return validateServerConfig({ ...DEFAULT_SERVER_CONFIG, ...fromFile, ...fromEnv, ...fromFlags } as ServerConfig);
}

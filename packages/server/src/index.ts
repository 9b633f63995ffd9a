export { type CliIo, type CliResult, main, runCli } from './cli.ts';
export {
  DEFAULT_SERVER_CONFIG,
  SETTINGS,
  type ServerConfig,
  type Setting,
  validateServerConfig,
} from './config/config.ts';
export { formatDuration, parseDuration } from './config/duration.ts';
export { type ConfigSources, loadServerConfig } from './config/load-config.ts';
export { type ApiAccess, apiAccess } from './http/api.ts';
export { type ItdaServer, type StartServerOptions, startServer } from './server.ts';

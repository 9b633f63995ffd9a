export { type ApiAccess, apiAccess } from './api.ts';
export { type CliIo, type CliResult, main, runCli } from './cli.ts';
export { DEFAULT_SERVER_CONFIG, SETTINGS, type ServerConfig, type Setting, validateServerConfig } from './config.ts';
export { formatDuration, parseDuration } from './duration.ts';
export { type ConfigSources, loadServerConfig } from './load-config.ts';
export { type ItdaServer, type StartServerOptions, startServer } from './server.ts';

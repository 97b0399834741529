/** What the Node services (worker, result) share. The image's `healthcheck` command is healthcheck.ts. */
export { ConfigError, dbConfig, dbPassword, integer, listenConfig, text, type DbConfig, type Env } from './config.js';
export { healthServer, listen } from './http.js';
export { describe, log } from './log.js';
export { runService } from './service.js';

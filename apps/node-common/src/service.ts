import { ConfigError } from './config.js';
import { describe, log } from './log.js';

/**
 * Runs a service's main function as the process: exit code 0 when it resolves, 1 when it throws,
 * after one line saying why (`configuration: ...` for a bad setting, `<name>: ...` otherwise).
 */
export function runService(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error(err instanceof ConfigError ? `configuration: ${err.message}` : `${name}: ${describe(err)}`);
      process.exit(1);
    },
  );
}

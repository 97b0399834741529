import { listen, log, runService } from '@dockyard/node-common';
import { resultConfig } from './config.js';
import { EventHub } from './events.js';
import { Poller } from './poller.js';
import { resultServer } from './server.js';

async function main(): Promise<void> {
  const config = resultConfig(process.env);
  const poller = new Poller(config.db, config.labels, config.pollIntervalMs);
  const hub = new EventHub();
  poller.on('change', (results) => hub.publish(results));
  const server = resultServer(poller, hub);
  const port = await listen(server, config.port, config.host);
  poller.start();
  log.info(`result: http://${config.host}:${port}/ reading postgres ${config.db.host}:${config.db.port}/${config.db.database}`);

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log.info('result: stopping');
  hub.close();
  server.close();
  server.closeAllConnections();
  await poller.stop();
}

runService('result', main);

import { freshDatabase, type Database } from './db.js';
import { servers } from './env.js';
import { startResult, startVote, startWorker, type App, type StackSettings } from './processes.js';
import { uniqueName } from './util.js';

/** The three apps on a list and a database of their own; `close` stops whatever still runs. */
export class Stack {
  readonly apps: App[] = [];

  private constructor(
    readonly settings: StackSettings,
    readonly db: Database,
  ) {}

  static async create(options: { redisPort?: number; labels?: { a: string; b: string } } = {}): Promise<Stack> {
    const s = servers();
    const db = await freshDatabase(s);
    return new Stack({
      servers: s,
      redisPort: options.redisPort ?? s.redisPort,
      votesList: uniqueName('votes'),
      database: db.name,
      labels: options.labels ?? { a: 'Cats', b: 'Dogs' },
    }, db);
  }

  async vote(extra: Record<string, string> = {}): Promise<App> {
    return this.track(await startVote(this.settings, extra));
  }

  async worker(extra: Record<string, string> = {}): Promise<App> {
    return this.track(await startWorker(this.settings, extra));
  }

  async result(extra: Record<string, string> = {}): Promise<App> {
    return this.track(await startResult(this.settings, extra));
  }

  /** Starts all three and waits until each is healthy. */
  async all(): Promise<{ vote: App; worker: App; result: App }> {
    const [vote, worker, result] = await Promise.all([this.vote(), this.worker(), this.result()]);
    await Promise.all([vote.healthy(), worker.healthy(), result.healthy()]);
    return { vote, worker, result };
  }

  async close(): Promise<void> {
    await Promise.all(this.apps.map((app) => app.stop('SIGKILL')));
    await this.db.drop();
  }

  private track(app: App): App {
    this.apps.push(app);
    return app;
  }
}

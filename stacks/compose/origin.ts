/**
 * Where each model value of a converted compose file came from, so that resolveApp's refusals name
 * the compose file and key the user wrote ("compose.yaml: services.web.deploy.update_config.order")
 * rather than the model's path ("services.web.rollout.order").
 */
import { Where } from "../errors";

export class Origins {
  /** Model path → compose path; a model path below a recorded one keeps its own tail. */
  private readonly paths = new Map<string, string>();

  constructor(
    private readonly file: string,
    private readonly provenance: Provenance = new Provenance(),
  ) {}

  record(modelPath: string, composePath: string): void {
    this.paths.set(modelPath, composePath);
  }

  /** Moves what was recorded below one model path to another (a service renamed for the targets: services.my_api is services.my-api). */
  rename(from: string, to: string): void {
    for (const [model, compose] of [...this.paths]) {
      if (model !== from && !model.startsWith(`${from}.`) && !model.startsWith(`${from}[`)) continue;
      this.paths.delete(model);
      this.paths.set(to + model.slice(from.length), compose);
    }
  }

  /** The compose path of a model path: the longest recorded prefix, else the model path itself. */
  composePath(modelPath: string): string {
    let best: [string, string] | undefined;
    for (const [model, compose] of this.paths) {
      const below = modelPath === model || modelPath.startsWith(`${model}.`) || modelPath.startsWith(`${model}[`);
      if (below && (best === undefined || model.length > best[0].length)) best = [model, compose];
    }
    return best === undefined ? modelPath : best[1] + modelPath.slice(best[0].length);
  }

  /** Names a model path as "FILE: compose path". */
  get where(): Where {
    return (modelPath) => `${this.file}: ${this.provenance.name(this.composePath(modelPath))}`;
  }
}

/** Where a value of the loaded file was written, when that is another file or service: included, or extended. */
export interface WrittenAt {
  /** The file, as messages name it ("base.yaml", "inc/compose.yaml"). */
  file: string;
  /** The path there ("services.monitored.pid"). */
  path: string;
}

/**
 * The compose paths of the loaded document that were written elsewhere (a service of an included
 * file, a key `extends` brings from another service or file), so that a message names the file and
 * the key the user would look for.
 */
export class Provenance {
  constructor(private readonly written: Record<string, WrittenAt> = {}) {}

  /** A compose path with where it was written, when elsewhere: "services.agent.pid (written in base.yaml as services.monitored.pid)". */
  name(at: string): string {
    let best: string | undefined;
    for (const prefix of Object.keys(this.written)) {
      const below = at === prefix || at.startsWith(`${prefix}.`) || at.startsWith(`${prefix}[`);
      if (below && (best === undefined || prefix.length > best.length)) best = prefix;
    }
    if (best === undefined) return at;
    const { file, path } = this.written[best];
    const there = path + at.slice(best.length);
    return `${at} (written in ${file}${there === at ? "" : ` as ${there}`})`;
  }
}

/**
 * Where each model value of a converted compose file came from, so that resolveApp's refusals name
 * the compose file and key the user wrote ("compose.yaml: services.web.deploy.update_config.order")
 * rather than the model's path ("services.web.rollout.order").
 */
import { Where } from "../errors";

export class Origins {
  /** Model path → compose path; a model path below a recorded one keeps its own tail. */
  private readonly paths = new Map<string, string>();

  constructor(private readonly file: string) {}

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
    return (modelPath) => `${this.file}: ${this.composePath(modelPath)}`;
  }
}

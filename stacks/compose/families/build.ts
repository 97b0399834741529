/** image and build: a prebuilt image to pull, or a build context inside the project. */
import * as path from "path";
import { ImageSource } from "../../model";
import { shown } from "../../errors";
import { Context, Doc, isMap } from "../context";
import { keyValues } from "../parse";

export function convertImage(raw: Doc, at: string, ctx: Context): ImageSource | undefined {
  const build = raw.build;
  if (build === undefined) {
    if (typeof raw.image !== "string") {
      ctx.refused.add(at, "has neither image nor build: give the image to run, or a build context");
      return undefined;
    }
    return { kind: "pull", ref: raw.image };
  }
  const spec: Doc = typeof build === "string" ? { context: build } : isMap(build) ? build : {};
  const context = path.resolve(ctx.fileDir, typeof spec.context === "string" ? spec.context : ".");
  const relative = path.relative(ctx.projectDir, context);
  if (relative.startsWith("..") || path.isAbsolute(relative)) {
    ctx.refused.add(
      `${at}.build.context`,
      `${shown(spec.context)} is outside the project (${relative}); images are built from a context inside it: move the sources under the project`,
    );
    return undefined;
  }
  const args = spec.args === undefined ? undefined : keyValues(spec.args, `${at}.build.args`, ctx.refused);
  if (raw.image !== undefined) {
    ctx.report.push({
      path: `${at}.image`,
      disposition: "changed",
      note: "with build, the image is tagged <app>-<service>:<imageTag> instead",
    });
  }
  ctx.origins.record(`${at}.image`, `${at}.build`);
  return {
    kind: "build",
    context: relative === "" ? "." : relative.split(path.sep).join("/"),
    ...(typeof spec.dockerfile === "string" ? { dockerfile: spec.dockerfile } : {}),
    ...(args !== undefined ? { args } : {}),
    ...(typeof spec.target === "string" ? { target: spec.target } : {}),
  };
}

/**
 * image and build: a prebuilt image to pull, or a build context on this machine, wherever the
 * compose file points (relative to the file). A Dockerfile given inline (dockerfile_inline) is
 * written to a generated file under the project's .state folder, never into the user's context.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ImageSource } from "../../model";
import { shown } from "../../errors";
import { hostTakeover } from "../../resolve";
import { Context, Doc, isMap } from "../context";
import { isRemoteContext, isWindowsPath } from "../load";
import { keyValues } from "../parse";

/** Where inline Dockerfiles are written, under the project: `.state` is git-ignored. */
export const INLINE_DOCKERFILES = path.join(".state", "compose", "dockerfiles");

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
  const given = typeof spec.context === "string" ? spec.context : ".";
  const contextAt = typeof build === "string" ? `${at}.build` : `${at}.build.context`;
  if (isRemoteContext(given)) {
    ctx.refused.add(
      contextAt,
      `${shown(given)} is a git repository or URL, which the Docker provider cannot build from (it sends a local folder to the engine): clone it (git clone <repository>, then check out the ref after #) and point context at the folder (with the folder after #ref: inside it)`,
    );
    return undefined;
  }
  if (isWindowsPath(given)) {
    ctx.refused.add(
      contextAt,
      `${shown(given)} is a Windows path, which is no folder on this machine: give the folder's path here, relative to the compose file`,
    );
    return undefined;
  }
  if (typeof spec.dockerfile === "string" && isWindowsPath(spec.dockerfile)) {
    ctx.refused.add(
      `${at}.build.dockerfile`,
      `${shown(spec.dockerfile)} is a Windows path: give the Dockerfile's path relative to the context`,
    );
    return undefined;
  }
  const context = path.resolve(ctx.fileDir, given);
  const relative = path.relative(ctx.projectDir, context);
  // Inside the project: relative to it, so the stack's state does not depend on where the checkout is.
  const inside = !relative.startsWith("..") && !path.isAbsolute(relative);
  const modelContext = inside ? (relative === "" ? "." : relative.split(path.sep).join("/")) : context;
  if (!isDirectory(context)) {
    ctx.refused.add(
      contextAt,
      `${shown(given)} is ${context}, which is no folder: create it, or give the build context's folder relative to the compose file`,
    );
    return undefined;
  }
  // The whole context goes to the engine, and any of it can be copied into the image (and stays in its
  // layers): a context that is or holds the host's system folders, sockets or credentials hands them over.
  const takeover = hostTakeover(context, true);
  if (takeover !== undefined) {
    ctx.refused.add(
      contextAt,
      `${shown(given)} is ${context}, which ${takeover}: the whole context is sent to the engine, and what a Dockerfile copies from it stays in the image; point the context at the service's own source folder`,
    );
    return undefined;
  }
  const dockerfile = inlineDockerfile(spec, at, context, ctx) ?? (typeof spec.dockerfile === "string" ? spec.dockerfile : undefined);
  if (spec.dockerfile_inline === undefined && !checkDockerfile(spec.dockerfile, context, contextAt, at, ctx)) return undefined;
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
    context: modelContext,
    ...(dockerfile !== undefined ? { dockerfile } : {}),
    ...(args !== undefined ? { args } : {}),
    ...(typeof spec.target === "string" ? { target: spec.target } : {}),
  };
}

const isDirectory = (folder: string): boolean => fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory() === true;

/**
 * The Dockerfile the engine would be sent: build.dockerfile relative to the context (or absolute), or
 * the context's Dockerfile. False, with a refusal, when it is not a file (the provider would find
 * that out only at up, after other resources were created).
 */
function checkDockerfile(dockerfile: unknown, context: string, contextAt: string, at: string, ctx: Context): boolean {
  if (dockerfile !== undefined && typeof dockerfile !== "string") return true; // refused by its shape
  const file = path.resolve(context, dockerfile ?? "Dockerfile");
  if (fs.statSync(file, { throwIfNoEntry: false })?.isFile() === true) return true;
  if (dockerfile === undefined) {
    ctx.refused.add(
      contextAt,
      `has no Dockerfile: ${file} is not there; add it, or name the Dockerfile with ${at}.build.dockerfile (relative to the context)`,
    );
  } else {
    ctx.refused.add(
      `${at}.build.dockerfile`,
      `${shown(dockerfile)} is ${file}, which is no file: give the Dockerfile's path relative to the context (${context})`,
    );
  }
  return false;
}

/**
 * build.dockerfile_inline written to a file named by its content under the project's
 * .state/compose/dockerfiles; the Dockerfile path from the context (the provider sends a Dockerfile
 * outside the context along with it). Undefined without dockerfile_inline.
 */
function inlineDockerfile(spec: Doc, at: string, context: string, ctx: Context): string | undefined {
  const inline = spec.dockerfile_inline;
  if (inline === undefined) return undefined;
  if (typeof inline !== "string" || inline.trim() === "") {
    ctx.refused.add(`${at}.build.dockerfile_inline`, `must be the Dockerfile's text, got ${shown(inline)}`);
    return undefined;
  }
  if (spec.dockerfile !== undefined) {
    ctx.refused.add(`${at}.build`, "gives both dockerfile and dockerfile_inline: keep one");
    return undefined;
  }
  const digest = createHash("sha256").update(inline).digest("hex").slice(0, 16);
  const file = path.join(ctx.projectDir, INLINE_DOCKERFILES, `${digest}.Dockerfile`);
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== inline) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, inline);
  }
  ctx.report.push({
    path: `${at}.build.dockerfile_inline`,
    disposition: "changed",
    note: `built from ${path.join(INLINE_DOCKERFILES, `${digest}.Dockerfile`).split(path.sep).join("/")}, written from this text (not into the context)`,
  });
  return path.relative(context, file).split(path.sep).join("/");
}

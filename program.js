// The Pulumi program's entry point (Pulumi.yaml `main`). It runs the compiled program in dist/
// (`npm run build`, which stamps dist/.built when it ends) when that build is newer than every
// TypeScript source of the program, and the sources themselves through ts-node otherwise, so an edit
// never runs stale: compiled, a run starts without loading the TypeScript compiler and without
// mapping stack traces. Type checking is `npm run build`'s and `npm test`'s job.
"use strict";
const fs = require("fs");
const path = require("path");

const SOURCES = ["index.ts", "components", "stacks"];
const compiled = path.join(__dirname, "dist", "index.js");
const stamp = path.join(__dirname, "dist", ".built");

/** The newest modification time (ms) of the .ts files under these paths. */
function newest(paths) {
  let latest = 0;
  for (const entry of paths) {
    const stat = fs.statSync(entry);
    if (stat.isDirectory()) {
      latest = Math.max(latest, newest(fs.readdirSync(entry).map((name) => path.join(entry, name))));
    } else if (entry.endsWith(".ts")) {
      latest = Math.max(latest, stat.mtimeMs);
    }
  }
  return latest;
}

function builtAt() {
  try {
    return fs.existsSync(compiled) ? fs.statSync(stamp).mtimeMs : -1;
  } catch {
    return -1;
  }
}

if (builtAt() >= newest(SOURCES.map((source) => path.join(__dirname, source)))) {
  // The language host maps every stack trace through source maps (source-map-support), and the
  // Pulumi SDK takes one at each resource registration and at each of its internal promises: about
  // 0.6 s of CPU in each no-change `up` of the Docker stack. Compiled, traces keep V8's own format,
  // with dist/ positions; NODE_OPTIONS=--enable-source-maps maps them to the sources again.
  Error.prepareStackTrace = undefined;
  module.exports = require(compiled);
} else {
  let tsNode;
  try {
    tsNode = require("ts-node");
  } catch {
    throw new Error("dist/ is missing or older than the TypeScript sources, and ts-node is not installed: run npm ci, or npm run build");
  }
  tsNode.register({ transpileOnly: true, project: path.join(__dirname, "tsconfig.json") });
  module.exports = require("./index.ts");
}

#!/usr/bin/env node
// The `dockyard` command (package.json `bin`). Runs the compiled command in dist/cli/ when it is
// there and, in a checkout, newer than every TypeScript source it is built from (`npm run build`
// stamps dist/.built); else the sources through ts-node, so an edit never runs stale (as program.js
// does for the stack program). The packed package holds dist/ only.
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..");
const compiled = path.join(root, "dist", "cli", "main.js");
const source = path.join(__dirname, "main.ts");

/** The newest modification time (ms) of the .ts files under these paths. */
function newest(paths) {
  let latest = 0;
  for (const entry of paths) {
    if (!fs.existsSync(entry)) continue;
    const stat = fs.statSync(entry);
    if (stat.isDirectory()) latest = Math.max(latest, newest(fs.readdirSync(entry).map((name) => path.join(entry, name))));
    else if (entry.endsWith(".ts")) latest = Math.max(latest, stat.mtimeMs);
  }
  return latest;
}

function builtAt() {
  try {
    return fs.existsSync(compiled) ? fs.statSync(path.join(root, "dist", ".built")).mtimeMs : -1;
  } catch {
    return -1;
  }
}

let command;
if (!fs.existsSync(source) || builtAt() >= newest(["cli", "components", "stacks"].map((dir) => path.join(root, dir)))) {
  command = require(compiled);
} else {
  try {
    require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
  } catch {
    console.error("dockyard: dist/ is missing or older than the TypeScript sources, and ts-node is not installed: run npm ci, or npm run build");
    process.exit(1);
  }
  command = require(source);
}
command.run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);

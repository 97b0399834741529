#!/usr/bin/env node
// A bounded vote load for the fault suites (test/e2e/faults.sh): posts COUNT votes to vote at a fixed
// RATE per second, then stops by itself. Each vote has its own voter id (PREFIX then the index, in hex,
// as vote's cookie wants it); a vote is acknowledged when vote answers 200 with its page. Writes one line
// per acknowledged vote ("<voter id> <a|b>") to ACKED, and prints a JSON summary at the end:
// {"sent","acknowledged","failed","firstFailureMs","lastFailureMs","errors"}, times from the start.
// ACKED "-" writes those lines to stdout, before the summary. Only loopback URLs are accepted, or a
// Service of the pod's own namespace by its bare name (http://vote:5000/, for a load run in a pod of
// the suite's namespace: node - ARGS < vote-load.js).
//
//   node test/e2e/vote-load.js URL COUNT RATE PREFIX ACKED
"use strict";
const fs = require("fs");
const http = require("http");

const [url, countArg, rateArg, prefix, acked] = process.argv.slice(2);
const count = Number(countArg);
const rate = Number(rateArg);
const target = url === undefined ? undefined : new URL(url);
if (target === undefined || !/^(127\.[0-9.]+|[a-z][a-z0-9-]*)$/.test(target.hostname) || target.protocol !== "http:") {
  console.error(`vote-load: URL must be http://127.x.x.x:PORT/ or http://SERVICE:PORT/ (a bare Service name), got ${String(url)}`);
  process.exit(2);
}
if (!Number.isInteger(count) || count < 1 || count > 100000) {
  console.error(`vote-load: COUNT must be an integer from 1 to 100000, got ${String(countArg)}`);
  process.exit(2);
}
if (!(rate > 0 && rate <= 200)) {
  console.error(`vote-load: RATE must be from 0 to 200 votes a second, got ${String(rateArg)}`);
  process.exit(2);
}
if (!/^[0-9a-f]{4,32}$/.test(prefix ?? "") || acked === undefined) {
  console.error(`vote-load: PREFIX must be 4 to 32 hex digits and ACKED a file, got ${String(prefix)} ${String(acked)}`);
  process.exit(2);
}

const out = acked === "-" ? 1 : fs.openSync(acked, "w");
const started = Date.now();
const summary = { sent: 0, acknowledged: 0, failed: 0, firstFailureMs: null, lastFailureMs: null, errors: {} };

function failed(reason) {
  const at = Date.now() - started;
  summary.failed += 1;
  summary.firstFailureMs ??= at;
  summary.lastFailureMs = at;
  summary.errors[reason] = (summary.errors[reason] ?? 0) + 1;
}

function post(index) {
  const voter = `${prefix}${index.toString(16).padStart(8, "0")}`;
  const choice = index % 2 === 0 ? "a" : "b";
  const body = `vote=${choice}`;
  summary.sent += 1;
  return new Promise((resolve) => {
    const request = http.request(
      target,
      {
        method: "POST",
        timeout: 10000,
        agent: false,
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "content-length": Buffer.byteLength(body),
          cookie: `voter_id=${voter}`,
        },
      },
      (response) => {
        let page = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (page += chunk));
        response.on("end", () => {
          if (response.statusCode === 200 && page.includes("<html")) {
            summary.acknowledged += 1;
            fs.writeSync(out, `${voter} ${choice}\n`);
          } else failed(`HTTP ${response.statusCode}`);
          resolve();
        });
        response.on("error", (error) => {
          failed(error.code ?? error.message);
          resolve();
        });
      },
    );
    request.on("timeout", () => request.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    request.on("error", (error) => {
      failed(error.code ?? error.message);
      resolve();
    });
    request.end(body);
  });
}

async function main() {
  const pending = [];
  for (let index = 0; index < count; index += 1) {
    const due = started + (index * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(post(index));
  }
  await Promise.all(pending);
  if (out !== 1) fs.closeSync(out);
  console.log(JSON.stringify(summary));
}

main();

#!/usr/bin/env bash
# Load benchmark of the voting apps (a script, not a test): starts redis-server and PostgreSQL
# (durable settings) on loopback, the vote app under gunicorn, the worker and the result app, posts
# VOTES votes (default 20000) from as many voters with CONCURRENCY keep-alive connections
# (default 32), prints throughput and p50/p90/p99 latency, then checks that the result app counts
# exactly the votes posted once the worker has drained the queue. Exits non-zero if not.
#   apps/bench/load.sh                    # 20000 votes
#   VOTES=5000 CONCURRENCY=16 apps/bench/load.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=../../scripts/services/apps-setup.sh
source scripts/services/apps-setup.sh
eval "$(bash scripts/node.sh)"
apps_prerequisites
echo "[bench] installing and building"
apps_install
apps_build
apps_start_servers
echo "[bench] $(nproc) cores; gunicorn ${WEB_CONCURRENCY:-2} workers x ${GUNICORN_THREADS:-4} threads"
node apps/tests/.build/src/bench.js

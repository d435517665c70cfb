#!/usr/bin/env bash
# README command 1: set up everything, build, and serve the page on 127.0.0.1.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/setup.sh"
exec node "$ROOT/scripts/serve.mjs" "$@"

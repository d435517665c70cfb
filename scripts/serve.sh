#!/usr/bin/env bash
# README command 1: sets up what the page needs to train on the CPU, serves it on 127.0.0.1
# (latent-lab-serve prints the URL; `--port N` picks another port), and meanwhile builds the
# rest: the WebGPU package, which the page uses from the next load on (until then it says so
# and trains on the CPU), then the native command line.
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/setup.sh" cpu
cd "$ROOT"

rest_log="$CARGO_TARGET_DIR/serve-rest.log"
log "building the WebGPU package and the command line behind the page (log: $rest_log)"
# In a session of its own, so that it is stopped with the server, as a whole.
setsid bash -c '
  source scripts/env.sh
  if bash scripts/setup.sh gpu >"$1" 2>&1; then
    log "the WebGPU package is ready: the page uses it from its next load"
  else
    log "the WebGPU package could not be built (see $1): the page trains on the CPU"
  fi
  if cargo build --quiet --bin latent-lab >>"$1" 2>&1; then
    log "the command line is ready: cargo run --bin latent-lab -- --help"
  else
    log "the command line could not be built (see $1)"
  fi
' rest "$rest_log" &
rest=$!
trap 'kill -- -$rest 2>/dev/null || true' EXIT
"$CARGO_TARGET_DIR/debug/latent-lab-serve" "$@"

#!/usr/bin/env bash
# The benchmark: builds what it needs (the set-up: tools, data, the wasm package; the native
# command line, release), then times every model on every backend in headless Chromium and
# natively and prints the table (Markdown) and writes the JSON (test-artifacts/bench.json).
# Figures, not a test. Options go to scripts/bench.mjs (see its header), e.g.
#   bash scripts/bench.sh --cases ae,wgan-poly:live --backends cpu
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

ensure_chromium
bash scripts/setup.sh
log "building the native command line (release)"
cargo build --release --bin latent-lab
mkdir -p test-artifacts
log "benchmark (about half an hour with every case; WebGPU runs on the software adapter)"
node scripts/bench.mjs "$@"

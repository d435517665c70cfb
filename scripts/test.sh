#!/usr/bin/env bash
# README command 2: runs every test. Installs what the tests need first (Chromium and its
# driver from Debian, then everything scripts/setup.sh installs), so it works on a fresh machine.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

ensure_chromium
# Command 1's set-up, then the static build, which an end-to-end test serves.
bash scripts/dist.sh

log "formatting and lints (rustfmt, clippy natively and for wasm32, actionlint)"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown --features gpu --all-targets -- -D warnings
node scripts/lint-workflows.mjs

log "native tests (CPU backends, real MNIST; the page's server)"
cargo test --workspace

log "browser tests (wasm-bindgen-test in headless Chromium: CPU and WebGPU)"
# The software WebGPU adapter compiles shaders for ~20 s and takes seconds per step.
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=900 \
  cargo test --release --target wasm32-unknown-unknown --features gpu --test browser

log "end-to-end tests of the served page (playwright-core + Chromium)"
node --test --test-concurrency=1 tests/e2e/

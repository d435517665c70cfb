# Shared settings of the set-up, serve and test scripts (sourced, not run).
# One build cache outside the clone, so that every clone (and CI) on this machine reuses it:
# a cold build of burn for wasm32 takes the better part of an hour on two cores.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/latent-lab/target}"
export PATH="$HOME/.cargo/bin:$PATH"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
log() { printf '\n==> %s\n' "$*"; }
# Debian's Chromium and its driver: the browser every test, script and benchmark here drives.
ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Chromium and ChromeDriver"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
  fi
}

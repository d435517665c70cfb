# Shared settings of the set-up, serve and test scripts (sourced, not run).
# One build cache outside the clone, so that every clone (and CI) on this machine reuses it:
# a cold build of burn for wasm32 takes the better part of an hour on two cores.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/latent-lab/target}"
export PATH="$HOME/.cargo/bin:$PATH"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
log() { printf '\n==> %s\n' "$*"; }
# apt-get as root: directly, or through sudo where it needs no password (a CI runner).
apt_get() {
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get "$@"
  else
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get "$@"
  fi
}
# Debian packages, installed when `command` is missing.
ensure_debian() {
  local command=$1
  shift
  command -v "$command" >/dev/null && return
  log "installing $* (Debian)"
  apt_get update -qq
  apt_get install -y -qq "$@"
}
# Debian's Chromium and its driver: the browser every test, script and benchmark here drives.
ensure_chromium() {
  ensure_debian chromium chromium chromium-driver
  ensure_debian chromedriver chromium-driver
}

#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (Playwright's own browser download does not
# work offline). Idempotent: does nothing when the browser is already there.
set -euo pipefail
chromium="${SWARM_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
  "$chromium" --version
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install Debian's chromium package (needs root)" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends chromium >/dev/null \
  || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends chromium >/dev/null; }
"$chromium" --version

#!/usr/bin/env bash
# Installs Debian's chromium for the browser test (headless, driven by playwright-core), if missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
echo "installing chromium (Debian package) for the browser test..."
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else echo "chromium is missing and this user cannot install it: run 'apt-get install chromium' as root" >&2; exit 1; fi
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium

#!/usr/bin/env bash
# Installs a software Vulkan driver for the WebGPU target's tests on machines without a GPU: Mesa's
# lavapipe. The `webgpu` package (Dawn) finds no adapter with Debian 12's Mesa 22.3 (it lacks
# shaderUniform*ArrayDynamicIndexing), so Mesa 25.x comes from bookworm-backports. Does nothing when a
# lavapipe of Mesa 25 or later is there already, or on a system that is not Debian 12.
set -euo pipefail
version() { dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | sed 's/^[0-9]*://' | cut -d. -f1; }
if ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 && [ "$(version || echo 0)" -ge 25 ] 2>/dev/null; then exit 0; fi
if ! grep -q 'VERSION_CODENAME=bookworm' /etc/os-release 2>/dev/null; then
  echo "install-vulkan: not Debian 12 (bookworm): install a Vulkan driver (a GPU's, or Mesa's lavapipe 25 or later) yourself for the WebGPU tests" >&2
  exit 0
fi
echo "installing Mesa's software Vulkan driver (lavapipe, bookworm-backports) for the WebGPU tests..."
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else echo "the WebGPU tests need mesa-vulkan-drivers 25 or later from bookworm-backports and this user cannot install it: run this script as root" >&2; exit 1; fi
fi
LIST=/etc/apt/sources.list.d/sparsec-bookworm-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' | $SUDO tee "$LIST" >/dev/null
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers >/dev/null
echo "mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"

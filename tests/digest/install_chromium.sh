#!/usr/bin/env bash
# Headless Chromium (Debian's `chromium` package) for the chart tests in tests/digest/.
# Idempotent: nothing to do when `chromium` is already on PATH. Needs root (as in CI) or sudo.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "install_chromium: not root and no sudo; install Debian's chromium package" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet: update first when chromium is unknown to apt.
if ! apt-cache show chromium >/dev/null 2>&1; then
    $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null || {
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
command -v chromium >/dev/null

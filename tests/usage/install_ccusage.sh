#!/usr/bin/env bash
# Install ccusage (pinned) into <repo>/.tools/ccusage: the usage tests cross-check our token
# counts against it. Idempotent: does nothing when the pinned version is there and runs.
# The npm package pulls its native binary (@ccusage/ccusage-linux-x64) as an optional
# dependency; 20.0.26 has no linux-x64 binary published, hence the pin.
# Prints the path of the binary on the last line of stdout.
set -euo pipefail

VERSION="${HANDOFF_CCUSAGE_VERSION:-20.0.24}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREFIX="$REPO/.tools/ccusage"
BIN="$PREFIX/node_modules/.bin/ccusage"

installed_ok() {
    [ -x "$BIN" ] || return 1
    local out
    out="$(timeout 60 "$BIN" --version 2>/dev/null)" || return 1
    case "$out" in
        *"$VERSION"*) return 0 ;;
        *) return 1 ;;
    esac
}

if ! installed_ok; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "install_ccusage.sh: npm not found (install nodejs/npm first)" >&2
        exit 1
    fi
    mkdir -p "$PREFIX"
    echo "install_ccusage.sh: installing ccusage@$VERSION into $PREFIX" >&2
    npm install --prefix "$PREFIX" --save-exact --no-audit --no-fund --loglevel=error "ccusage@$VERSION" >&2
    if ! installed_ok; then
        echo "install_ccusage.sh: installed, but '$BIN --version' does not report $VERSION" >&2
        timeout 60 "$BIN" --version >&2 || true
        exit 1
    fi
fi

echo "install_ccusage.sh: $("$BIN" --version 2>/dev/null)" >&2
echo "$BIN"

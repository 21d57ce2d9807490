#!/usr/bin/env bash
# Install the real Claude Code CLI (pinned) into <repo>/.tools/claude for the e2e tests.
# Idempotent: if the pinned version is already installed and runs, it does nothing.
# Prints the path of the binary on the last line of stdout.
set -euo pipefail

VERSION="${HANDOFF_CLAUDE_VERSION:-2.1.329}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PREFIX="$REPO/.tools/claude"
BIN="$PREFIX/node_modules/.bin/claude"

installed_ok() {
    [ -x "$BIN" ] || return 1
    local out
    # --version must run the native binary, not just a JS shim.
    out="$(DISABLE_AUTOUPDATER=1 CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
        timeout 60 "$BIN" --version 2>/dev/null)" || return 1
    case "$out" in
        "$VERSION"*) return 0 ;;
        *) return 1 ;;
    esac
}

if ! installed_ok; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "install_cli.sh: npm not found (install nodejs/npm first)" >&2
        exit 1
    fi
    mkdir -p "$PREFIX"
    echo "install_cli.sh: installing @anthropic-ai/claude-code@$VERSION into $PREFIX" >&2
    npm install --prefix "$PREFIX" --save-exact --no-audit --no-fund --loglevel=error \
        "@anthropic-ai/claude-code@$VERSION" >&2
    if ! installed_ok; then
        echo "install_cli.sh: installed, but '$BIN --version' does not report $VERSION:" >&2
        DISABLE_AUTOUPDATER=1 timeout 60 "$BIN" --version >&2 || true
        exit 1
    fi
fi

echo "install_cli.sh: $("$BIN" --version 2>/dev/null)" >&2
echo "$BIN"

#!/usr/bin/env bash
# Installs what the test suite needs into .tools/ (git-ignored), skipping what is there:
# the registry server the publish tests upload to, and the workflow linters.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools/bin"

if [ ! -x "$tools/bin/ferro-cargo-registry-server" ]; then
    echo "installing ferro-cargo-registry-server 1.0.0 into $tools" >&2
    # A private target dir, so the project's own build does not rebuild after it.
    CARGO_TARGET_DIR="$tools/build" "${CARGO:-cargo}" install --locked --quiet \
        --root "$tools" ferro-cargo-registry-server --version 1.0.0
    rm -rf "$tools/build"
fi

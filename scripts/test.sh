#!/usr/bin/env bash
# The test command: installs the test tools when missing, then runs every test.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install-tools.sh
cargo nextest run --workspace --no-fail-fast "$@"
cargo test --workspace --doc --quiet
# Broken intra-doc links (a link to an item that became pub(crate)) fail here, not on docs.rs.
RUSTDOCFLAGS="-D warnings" cargo doc -p xtask-release --no-deps --quiet

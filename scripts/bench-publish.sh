#!/usr/bin/env bash
# Benchmark (not a test): wall time of `publish-ordered --execute` next to
# `cargo publish --workspace` on generated 30-crate workspaces (a chain and a wide tree),
# each on a fresh local registry behind a loopback proxy, with and without the delays of
# a real registry (1 s per upload, a new version visible 2 s after its upload). Prints a
# Markdown table. The proxy and workspace generator live in
# crates/xtask-release/tests/publish_bench.rs.
#
#   scripts/bench-publish.sh            # BENCH_JOBS=N to change --jobs (default 8)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install-tools.sh
exec "${CARGO:-cargo}" nextest run --package xtask-release --test publish_bench --run-ignored only \
    --no-capture --success-output never

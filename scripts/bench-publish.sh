#!/usr/bin/env bash
# Benchmark (not a test): wall time of `publish-ordered --execute` next to
# `cargo publish --workspace` on generated 30-crate workspaces (a chain and a wide tree),
# each on a fresh local registry, with the delays of a real registry (a loopback proxy:
# 1 s per upload, a new version visible 2 s after its upload, an upload naming an unknown
# dependency refused) and without (the registry directly). Prints a Markdown table with
# each ratio and, with delays, each result as a fraction of its floor (the uploads that
# must follow one another plus one index wait). The proxy and workspace generator live in
# crates/xtask-release/tests/publish_bench.rs; docs/benchmarks.md has the figures.
#
#   scripts/bench-publish.sh            # BENCH_JOBS=N to change --jobs (default 8)
#   BENCH_LAYOUT=chain BENCH_DELAYS=without scripts/bench-publish.sh   # one part only
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
scripts/install-tools.sh
exec "${CARGO:-cargo}" nextest run --package xtask-release --test publish_bench --run-ignored only \
    --no-capture --success-output never

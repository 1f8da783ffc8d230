#!/usr/bin/env bash
# Throughput of `xtask-release checksum` (dev profile, as `cargo xtask` runs it, and
# release) against `sha256sum` and `openssl dgst -sha256`, in the same run, on one 1 GiB
# file and on 16 files of 64 MiB. Files are random data on disk with the page cache
# warmed; each figure is the median of RUNS runs. Not a test: it prints a table.
#
#   scripts/bench-checksum.sh            # RUNS=5, files under target/bench-checksum
#   RUNS=3 BENCH_DIR=/var/tmp scripts/bench-checksum.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
runs="${RUNS:-5}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

cargo build --quiet -p xtask-release
cargo build --quiet --release -p xtask-release
dev="$target_dir/debug/xtask-release"
release="$target_dir/release/xtask-release"

work="$(mktemp -d "${BENCH_DIR:-$target_dir}/bench-checksum.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir "$work/one" "$work/many"
head -c $((1 << 30)) /dev/urandom >"$work/one/big.bin"
for i in $(seq -w 1 16); do
    head -c $((64 << 20)) /dev/urandom >"$work/many/part-$i.bin"
done
bytes=$((1 << 30))

# Median wall time in seconds of running "$@" `runs` times, page cache warm.
median() {
    local times=()
    for _ in $(seq "$runs"); do
        local start end
        start=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        end=$(date +%s.%N)
        times+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }')")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'
}

bench() {
    local label="$1" dir="$2"
    local files=("$dir"/*.bin)
    cat "${files[@]}" >/dev/null
    local t_dev t_rel t_sum t_ssl
    t_dev=$(median "$dev" checksum --execute "${files[@]}")
    t_rel=$(median "$release" checksum --execute "${files[@]}")
    t_sum=$(median sha256sum "${files[@]}")
    t_ssl=$(median openssl dgst -sha256 "${files[@]}")
    awk -v label="$label" -v bytes="$bytes" -v dev="$t_dev" -v rel="$t_rel" -v sum="$t_sum" -v ssl="$t_ssl" 'BEGIN {
        printf "\n%s (1 GiB in all)\n", label
        printf "  %-34s %8s %8s %10s %12s\n", "tool", "seconds", "GB/s", "x openssl", "x sha256sum"
        row("xtask-release checksum (dev)", dev); row("xtask-release checksum (release)", rel)
        row("sha256sum", sum); row("openssl dgst -sha256", ssl)
    }
    function row(name, t) { printf "  %-34s %8.3f %8.2f %10.2f %12.2f\n", name, t, bytes / t / 1e9, ssl / t, sum / t }'
}

echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, sha_ni: $(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(sha256sum --version | head -1); $(openssl version)"
bench "one file of 1 GiB" "$work/one"
bench "16 files of 64 MiB" "$work/many"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

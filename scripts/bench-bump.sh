#!/usr/bin/env bash
# Benchmark (not a test): the median wall time of `bump minor --execute` on generated
# workspaces of 30 and 300 crates, with inherited and with explicit versions, next to
# `cargo set-version --bump minor --workspace` (cargo-edit) on the same workspaces in the
# same run. Each run gets a fresh copy; copying is not timed.
#
#   scripts/bench-bump.sh [RUNS]      # RUNS per measurement, default 7
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-7}"
cargo="${CARGO:-cargo}"
tools="$root/.tools"

if [ ! -x "$tools/bin/cargo-set-version" ]; then
    # Pinned: later releases need a newer rustc than this project's toolchain.
    echo "installing cargo-edit 0.13.13 into $tools" >&2
    CARGO_TARGET_DIR="$tools/build" "$cargo" install --locked --quiet cargo-edit --version 0.13.13 --root "$tools"
    rm -rf "$tools/build"
fi
# Both tools as release builds, so the comparison is like for like.
"$cargo" build --quiet --release --package xtask-release --manifest-path "$root/Cargo.toml"
ours="$("$cargo" metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/xtask-release"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# generate DIR N LAYOUT: crate i depends on crates i-1 and i-2 (path + version).
generate() {
    local dir=$1 n=$2 layout=$3 i dep
    mkdir -p "$dir"
    {
        printf '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n'
        if [ "$layout" = inherited ]; then
            printf '\n[workspace.package]\nversion = "0.1.0"\nedition = "2021"\nlicense = "MIT"\n'
            printf '\n[workspace.dependencies]\n'
            for ((i = 0; i < n; i++)); do printf 'c%d = { path = "crates/c%d", version = "0.1.0" }\n' "$i" "$i"; done
        fi
    } >"$dir/Cargo.toml"
    for ((i = 0; i < n; i++)); do
        mkdir -p "$dir/crates/c$i/src"
        : >"$dir/crates/c$i/src/lib.rs"
        {
            if [ "$layout" = inherited ]; then
                printf '[package]\nname = "c%d"\nversion.workspace = true\nedition.workspace = true\nlicense.workspace = true\ndescription = "c%d"\n\n[dependencies]\n' "$i" "$i"
                for dep in $((i - 1)) $((i - 2)); do
                    ((dep >= 0)) && printf 'c%d.workspace = true\n' "$dep"
                done
            else
                printf '[package]\nname = "c%d"\nversion = "0.1.0"\nedition = "2021"\nlicense = "MIT"\ndescription = "c%d"\n\n[dependencies]\n' "$i" "$i"
                for dep in $((i - 1)) $((i - 2)); do
                    ((dep >= 0)) && printf 'c%d = { path = "../c%d", version = "0.1.0" }\n' "$dep" "$dep"
                done
            fi
        } >"$dir/crates/c$i/Cargo.toml"
    done
    (cd "$dir" && "$cargo" generate-lockfile --offline --quiet)
}

# median_ms SRC CMD...: runs CMD in a fresh copy of SRC `runs` times, prints the median.
median_ms() {
    local src=$1 times=() start end
    shift
    for ((r = 0; r < runs; r++)); do
        rm -rf "$work/run" && cp -r "$src" "$work/run"
        start=$(date +%s%N)
        (cd "$work/run" && "$@" >/dev/null 2>&1) || { echo "failed: $* in a copy of $src" >&2; exit 1; }
        end=$(date +%s%N)
        times+=($(((end - start) / 1000000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$((runs / 2 + 1))p"
}

printf '%-8s %-10s %14s %22s %7s\n' crates layout "bump (ms)" "cargo set-version (ms)" ratio
for n in 30 300; do
    for layout in inherited explicit; do
        src="$work/ws-$n-$layout"
        generate "$src" "$n" "$layout"
        a=$(median_ms "$src" "$ours" bump minor --execute)
        b=$(median_ms "$src" "$tools/bin/cargo-set-version" set-version --bump minor --workspace --offline)
        printf '%-8s %-10s %14s %22s %7s\n' "$n" "$layout" "$a" "$b" "$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / (a ? a : 1) }')"
    done
done
echo "median of $runs runs each; ratio = cargo set-version / bump (above 1: bump is faster)"
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"

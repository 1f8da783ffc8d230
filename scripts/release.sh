#!/usr/bin/env bash
# Kept for muscle memory: the runbook lives in `cargo xtask release` now.
exec cargo xtask release "$@"

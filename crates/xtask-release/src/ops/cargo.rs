//! Running cargo: the same cargo that runs us when `$CARGO` is set.

use std::ffi::OsString;

/// The cargo binary to run: `$CARGO` when set (it is under `cargo run` and `cargo xtask`),
/// so a toolchain override applies to what we run too.
pub fn bin() -> OsString {
    std::env::var_os("CARGO").filter(|v| !v.is_empty()).unwrap_or_else(|| "cargo".into())
}

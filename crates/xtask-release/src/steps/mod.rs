//! The version lifecycle commands, one module each.

pub mod bump;
pub mod check_version;
pub mod code_checks;
pub mod preflight;
pub mod release;
pub mod tag;

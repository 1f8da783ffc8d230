//! The version lifecycle commands, one module each.

pub mod bump;
pub mod check_version;
pub(crate) mod code_checks;
pub(crate) mod preflight;
pub mod release;
pub mod tag;

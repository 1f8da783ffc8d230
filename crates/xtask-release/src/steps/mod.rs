//! The version lifecycle commands, one module each.

pub mod bump;
pub mod check_version;
pub(crate) mod code_checks;
pub(crate) mod preflight;
pub mod release;
pub mod tag;

// The checks that tag, release and check-version plan and report, and how each went.
pub use preflight::{Check, Outcome as CheckOutcome};

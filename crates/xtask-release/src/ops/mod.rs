//! Side-effecting primitives shared by the steps: git, cargo, files, diffs, HTTP, SHA-256,
//! and the dates and retry policy the HTTP clients share.

pub mod cargo;
pub mod date;
pub mod diff;
pub mod fs;
pub mod git;
pub mod http;
pub mod redact;
pub mod refname;
pub mod retry;
pub(crate) mod sha;
pub mod tree;

/// How a finished command ended, for an error that names it: `exit code N`, or that a
/// signal killed it (no code then).
pub fn exit_description(status: std::process::ExitStatus) -> String {
    status.code().map_or_else(|| "killed by a signal".to_string(), |c| format!("exit code {c}"))
}

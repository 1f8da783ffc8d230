//! Side-effecting primitives shared by the steps: git, cargo, files, diffs, HTTP, and
//! the dates and retry policy the HTTP clients share.

pub mod cargo;
pub mod date;
pub mod diff;
pub mod fs;
pub mod git;
pub mod http;
pub mod redact;
pub mod refname;
pub mod retry;

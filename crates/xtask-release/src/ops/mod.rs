//! Side-effecting primitives shared by the steps: git, cargo, files, diffs.

pub mod cargo;
pub mod diff;
pub mod fs;
pub mod git;
pub mod http;
pub mod redact;

//! The files GitHub Actions hands a step for what it leaves behind: `$GITHUB_OUTPUT`
//! for later jobs, `$GITHUB_STEP_SUMMARY` for the run's page.

use std::ffi::OsString;
use std::io::Write as _;

use anyhow::{Context as _, Result, bail};

/// The file an environment variable of GitHub Actions names, when it is set.
pub fn env_file(var: &str) -> Option<OsString> {
    std::env::var_os(var).filter(|p| !p.is_empty())
}

/// Appends `name=value` lines to the file `GITHUB_OUTPUT` names.
pub fn write(pairs: &[(&str, &str)]) -> Result<()> {
    let Some(path) = env_file("GITHUB_OUTPUT") else {
        bail!("GITHUB_OUTPUT is not set; --github-output works inside a GitHub Actions step");
    };
    let mut text = String::new();
    for (name, value) in pairs {
        // A newline would start another output; ours are single words.
        if value.contains(['\n', '\r']) {
            bail!("the output {name} has a line break");
        }
        text.push_str(&format!("{name}={value}\n"));
    }
    append("GITHUB_OUTPUT", &path, &text)
}

/// Appends Markdown to the step summary, when `GITHUB_STEP_SUMMARY` is set.
pub fn summary(markdown: &str) -> Result<()> {
    match env_file("GITHUB_STEP_SUMMARY") {
        // A summary quotes errors, which quote servers' answers.
        Some(path) => append("GITHUB_STEP_SUMMARY", &path, &crate::ops::redact::redact(markdown)),
        None => Ok(()),
    }
}

fn append(var: &str, path: &OsString, text: &str) -> Result<()> {
    let shown = std::path::Path::new(path).display().to_string();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("cannot open {var} ({shown})"))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write {var} ({shown})"))
}

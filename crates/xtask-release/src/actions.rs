//! Everything a step tells GitHub Actions: workflow commands (`::error` annotations,
//! `::group::` blocks) and the files it hands a step for what it leaves behind
//! (`$GITHUB_OUTPUT` for later jobs, `$GITHUB_STEP_SUMMARY` for the run's page).

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};

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

/// A workflow command, on stderr (GitHub reads both streams) so that stdout carries only
/// the result; a closed stderr is not a panic either.
fn command(line: std::fmt::Arguments) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// An `::error` annotation, attached to `file` when given.
pub fn error(file: Option<&Path>, message: &str) {
    let message = escape_data(&crate::ops::redact::redact(message));
    match file {
        Some(file) => command(format_args!("::error file={}::{message}", escape_property(&annotation_path(file)))),
        None => command(format_args!("::error::{message}")),
    }
}

/// Opens a `::group::` block; [`end_group`] closes it.
pub fn begin_group(name: &str) {
    command(format_args!("::group::{}", escape_data(name)));
}

pub fn end_group() {
    command(format_args!("::endgroup::"));
}

/// GitHub places an annotation by the file's path from the checkout's root
/// (`$GITHUB_WORKSPACE`, else the current directory, where a step starts), which is not
/// the workspace root when the workspace sits in a subdirectory of the repository.
fn annotation_path(file: &Path) -> String {
    let checkout = std::env::var_os("GITHUB_WORKSPACE").map(PathBuf::from).or_else(|| std::env::current_dir().ok());
    let absolute = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let shown = checkout.as_deref().and_then(|root| absolute.strip_prefix(root).ok()).unwrap_or(file);
    shown.to_string_lossy().replace('\\', "/")
}

/// Workflow command data: `%`, CR and LF must be escaped or the command is cut short.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Workflow command properties additionally escape `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

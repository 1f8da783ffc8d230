//! Step outputs for later jobs of a GitHub Actions workflow, appended to `$GITHUB_OUTPUT`.

use std::io::Write as _;

use anyhow::{Context as _, Result, bail};

/// Appends `name=value` lines to the file `GITHUB_OUTPUT` names.
pub fn write(pairs: &[(&str, &str)]) -> Result<()> {
    let Some(path) = std::env::var_os("GITHUB_OUTPUT").filter(|p| !p.is_empty()) else {
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
    let shown = std::path::Path::new(&path).display().to_string();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .with_context(|| format!("cannot open GITHUB_OUTPUT ({shown})"))?;
    file.write_all(text.as_bytes()).with_context(|| format!("cannot write GITHUB_OUTPUT ({shown})"))
}

//! What every command gets: the shell that runs external commands, the reporter, the way
//! to the workspace, and the name the user runs us by.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use xshell::Shell;

use crate::output::Output;
use crate::workspace::Workspace;

pub struct Ctx {
    /// Runs every external command; its current directory is the invocation's.
    pub sh: Shell,
    pub out: Output,
    manifest_path: Option<PathBuf>,
    invocation: String,
    /// The workspace root, once loaded: what paths in JSON output are relative to.
    root: std::cell::OnceCell<PathBuf>,
}

impl Ctx {
    /// `manifest_path` is the workspace's root Cargo.toml [default: found from the current
    /// directory upward]; `invocation` is how the user runs us (`cargo xtask`), for the
    /// commands we tell them to run.
    pub fn new(manifest_path: Option<PathBuf>, invocation: impl Into<String>) -> Result<Ctx> {
        let sh = Shell::new().context("cannot read the current directory")?;
        Ok(Ctx { sh, out: Output::from_env(), manifest_path, invocation: invocation.into(), root: Default::default() })
    }

    /// How the user runs us, with `--manifest-path` when one was given: the start of every
    /// command we tell them to run.
    pub fn invocation(&self) -> String {
        match &self.manifest_path {
            Some(path) => format!("{} --manifest-path {}", self.invocation, shell_quote(&path.to_string_lossy())),
            None => self.invocation.clone(),
        }
    }

    /// Loads the workspace facts (cargo metadata and config) and moves the shell to the
    /// workspace root, so that later commands run there whatever the invocation's directory.
    pub fn workspace(&self) -> Result<Workspace> {
        let ws = Workspace::load(&self.sh, self.manifest_path.as_deref())?;
        self.sh.change_dir(ws.root.as_std_path());
        let _ = self.root.set(ws.root.clone().into_std_path_buf());
        // Cargo's words as cargo would print them, once per command: the workspace may be
        // loaded again later (after edits, or HEAD's copy), and those loads stay quiet.
        for warning in &ws.cargo_warnings {
            self.out.warn(warning);
        }
        for note in &ws.notes {
            self.out.note(note);
        }
        Ok(ws)
    }
}

impl Ctx {
    /// The workspace root, when a step has loaded the workspace.
    pub fn root(&self) -> Option<&std::path::Path> {
        self.root.get().map(PathBuf::as_path)
    }
}

/// An argument as a POSIX shell reads it back: plain words as they are, others quoted.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty() && arg.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:@+,".contains(c));
    if plain { arg.to_string() } else { format!("'{}'", arg.replace('\'', r"'\''")) }
}

//! What every command gets: the shell that runs external commands, the output, and the
//! way to the workspace.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use xshell::Shell;

use crate::cli::Format;
use crate::output::Output;
use crate::workspace::Workspace;

pub struct Ctx {
    /// Runs every external command; its current directory is the invocation's.
    pub sh: Shell,
    pub out: Output,
    manifest_path: Option<PathBuf>,
    format: Option<Format>,
}

impl Ctx {
    pub fn new(manifest_path: Option<PathBuf>, format: Option<Format>) -> Result<Ctx> {
        let sh = Shell::new().context("cannot read the current directory")?;
        Ok(Ctx { sh, out: Output::from_env(), manifest_path, format })
    }

    /// The format asked for on the command line, or `default` when none was.
    pub fn format_or(&self, default: Format) -> Format {
        self.format.unwrap_or(default)
    }

    /// Whether `--format json` was asked for.
    pub fn json(&self) -> bool {
        self.format == Some(Format::Json)
    }

    /// Loads the workspace facts (cargo metadata and config) and moves the shell to the
    /// workspace root, so that later commands run there whatever the invocation's directory.
    pub fn workspace(&self) -> Result<Workspace> {
        let ws = Workspace::load(&self.sh, self.manifest_path.as_deref())?;
        self.sh.change_dir(ws.root.as_std_path());
        for note in &ws.notes {
            self.out.note(note);
        }
        Ok(ws)
    }
}

//! `check-version`: tag, manifests, lock file, extra files and changelog agree.

use anyhow::{Result, bail};

use crate::context::Ctx;
use crate::version::check;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tag to check against [default: $GITHUB_REF_NAME when $GITHUB_REF_TYPE is not `branch`]
    #[arg(long)]
    pub tag: Option<String>,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let ws = ctx.workspace()?;
        let tag = self.tag.or_else(tag_from_github);
        let problems = check::check(&ws, tag.as_deref())?;
        if ctx.json() {
            ctx.out.json(&problems)?;
        } else {
            for problem in &problems {
                crate::outln!("{problem}");
            }
        }
        for problem in &problems {
            ctx.out.github_error(Some(problem.file.as_str()), &problem.message);
        }
        match problems.len() {
            0 => {
                let checked = tag.map(|t| format!(" and tag {t}")).unwrap_or_default();
                ctx.out
                    .status("Checked", format!("manifests, Cargo.lock, extra files, changelog{checked}: they agree"));
                Ok(())
            }
            1 => bail!("check-version found a problem; fix it as said above"),
            n => bail!("check-version found {n} problems; fix them as said above"),
        }
    }
}

/// The tag a GitHub Actions run was started for. On a branch push `GITHUB_REF_NAME` is
/// the branch's name, so it counts only when `GITHUB_REF_TYPE` is not `branch`.
fn tag_from_github() -> Option<String> {
    let name = std::env::var("GITHUB_REF_NAME").ok().filter(|n| !n.is_empty())?;
    let is_branch = std::env::var("GITHUB_REF_TYPE").is_ok_and(|t| t == "branch");
    (!is_branch).then_some(name)
}

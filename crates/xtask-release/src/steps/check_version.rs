//! `check-version`: tag, manifests, lock file, extra files and changelog agree.

use anyhow::{Result, bail};

use crate::context::Ctx;
use crate::version::check;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The tag to check against [default: $GITHUB_REF_NAME when $GITHUB_REF_TYPE is not `branch`]
    #[arg(long)]
    pub tag: Option<String>,
    /// Also check that the tag's commit is on the release branch (`<remote>/<branch>`
    /// contains it), so that a tag on any other commit is not released
    #[arg(long)]
    pub on_release_branch: bool,
}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let ws = ctx.workspace()?;
        let tag = self.tag.or_else(crate::github::actions_tag);
        if self.on_release_branch {
            on_release_branch(ctx, &ws, tag.as_deref())?;
        }
        let problems = check::check(&ws, tag.as_deref())?;
        if ctx.json() {
            ctx.out.json(&problems)?;
        } else {
            for problem in &problems {
                crate::outln!("{problem}");
            }
        }
        for problem in &problems {
            ctx.out.github_error(Some(ws.root.join(&problem.file).as_std_path()), &problem.message);
        }
        match problems.len() {
            0 => {
                let mut checked = vec!["manifests", "Cargo.lock", "extra files"];
                if check::checked_changelog(&ws).is_some() {
                    checked.push("changelog");
                }
                let tag = tag.map(|t| format!("tag {t}"));
                checked.extend(tag.as_deref());
                let last = checked.pop().unwrap_or_default();
                ctx.out.status("Checked", format!("{} and {last}: they agree", checked.join(", ")));
                Ok(())
            }
            1 => bail!("check-version found a problem; fix it as said above"),
            n => bail!("check-version found {n} problems; fix them as said above"),
        }
    }
}

/// `--on-release-branch`: refuses a tag whose commit is not on `<remote>/<branch>`.
fn on_release_branch(ctx: &Ctx, ws: &crate::workspace::Workspace, tag: Option<&str>) -> Result<()> {
    use crate::steps::preflight::{TagOnBranch, tag_on_branch};
    let Some(tag) = tag else { bail!("--on-release-branch needs a tag: pass --tag TAG") };
    let (remote, branch) = (&ws.config.remote, &ws.config.branch);
    let facts = TagOnBranch::gather(&ctx.sh, tag, &format!("{remote}/{branch}"))?;
    let check = tag_on_branch(&facts, tag, remote, branch);
    let fix = check.fix.as_deref().map(|f| format!("; {f}")).unwrap_or_default();
    if check.is_failed() {
        ctx.out.github_error(None, &format!("{}{fix}", check.detail));
        bail!("{}{fix}", check.detail);
    }
    ctx.out.status("Checked", &check.detail);
    Ok(())
}

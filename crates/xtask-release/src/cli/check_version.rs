//! `check-version`: arguments, and the problems listed (and annotated in GitHub Actions).

use anyhow::{Result, bail};

use super::Cx;
use crate::report::Reporter as _;
use crate::steps::check_version::{self, Options};

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
    pub fn options(&self) -> Options {
        Options { tag: self.tag.clone().or_else(crate::github::actions_tag), on_release_branch: self.on_release_branch }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        let outcome = check_version::check(&ctx.sh, &ws, &self.options())?;
        if let Some(check) = &outcome.release_branch {
            let fix = check.fix.as_deref().map(|f| format!("; {f}")).unwrap_or_default();
            if check.is_failed() {
                ctx.out.problem(None, &format!("{}{fix}", check.detail));
                bail!("{}{fix}", check.detail);
            }
            ctx.out.status("Checked", &check.detail);
        }
        if cx.json() {
            cx.print_json(&outcome)?;
        } else {
            for problem in &outcome.problems {
                crate::outln!("{problem}");
            }
        }
        for problem in &outcome.problems {
            ctx.out.problem(Some(ws.root.join(&problem.file).as_std_path()), &problem.message);
        }
        match outcome.problems.len() {
            0 => {
                let mut checked = vec!["manifests", "Cargo.lock", "extra files"];
                if crate::version::agreement::checked_changelog(&ws).is_some() {
                    checked.push("changelog");
                }
                let tag = outcome.tag.map(|t| format!("tag {t}"));
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

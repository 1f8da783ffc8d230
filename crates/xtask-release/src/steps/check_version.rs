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
        let tag = self.tag.or_else(crate::github::actions_tag);
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

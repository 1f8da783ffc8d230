//! `publish-ordered`: arguments, the plan or the result per crate as text or JSON.

use anyhow::{Result, bail};

use super::Cx;
use crate::publish::pace::RateLimit;
use crate::publish::{self, IndexWait, Options, summary};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Upload (default: print the plan)
    #[arg(long)]
    pub execute: bool,
    /// Registry name from cargo's configuration [default: crates.io]
    #[arg(long)]
    pub registry: Option<String>,
    /// Sparse index URL to check [default: from cargo's configuration]
    #[arg(long)]
    pub index_url: Option<String>,
    /// Publish only these packages
    #[arg(short = 'p', long = "package", value_name = "PKG")]
    pub packages: Vec<String>,
    /// Leave these packages out
    #[arg(long, value_name = "PKG")]
    pub exclude: Vec<String>,
    /// Uploads at once [default: `jobs` in the config, 8]
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub jobs: Option<usize>,
    /// Pace uploads: `none`, `crates-io` (its published limits) or BURST/SECONDSs [default: `rate-limit` in
    /// the config, none]
    #[arg(long, value_name = "LIMIT")]
    pub rate_limit: Option<RateLimit>,
    /// Wait for the index once at the end (`end`), or after each upload before its dependents (`each`)
    /// [default: `index-wait` in the config, end]
    #[arg(long, value_name = "WHEN")]
    pub index_wait: Option<IndexWait>,
}

impl Args {
    pub fn options(&self) -> Options {
        Options {
            registry: self.registry.clone(),
            index_url: self.index_url.clone(),
            packages: self.packages.clone(),
            exclude: self.exclude.clone(),
            jobs: self.jobs,
            rate_limit: self.rate_limit,
            index_wait: self.index_wait,
        }
    }

    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        let options = self.options();
        let plan = publish::plan(&ws, &options)?;

        if !self.execute {
            if cx.json() {
                cx.print_plan_json(&ws, &plan)?;
            } else {
                summary::print_plan(false, &plan)?;
                cx.print_digest(&ws, &plan)?;
            }
            if plan.registry.token_source(ws.root.as_std_path())?.is_none() {
                ctx.out.warn(format!("no token for {}: {}", plan.registry.display(), plan.registry.token_help()));
            }
            ctx.out.note("dry run: nothing was uploaded; pass --execute to publish");
            return Ok(());
        }
        if plan.crates.is_empty() {
            ctx.out.note(format!("nothing to publish: no selected member may go to {}", plan.registry.display()));
        }
        cx.execute(&ws, &plan, None, |produced| {
            let outcome = publish::execute(ctx, &ws, &plan, &options);
            summary::print_result(&ctx.out, cx.json(), &plan, &outcome)?;
            // What went up, by the checksum the registry lists for it.
            let index = crate::publish::index::Index::new(&plan.registry.index_url);
            for result in outcome.results.iter().filter(|r| r.status != crate::publish::Status::NotPublished) {
                if let Ok(Some(entry)) = index.find(&result.name, &result.version) {
                    produced.add(format!("{} {}", result.name, result.version), entry.cksum);
                }
            }
            Self::finish(ctx, &options, outcome.error)
        })
    }

    fn finish(ctx: &crate::context::Ctx, options: &Options, error: Option<anyhow::Error>) -> Result<()> {
        match error {
            None => Ok(()),
            // The cause first, then what to run; not as context, which would print on top.
            Some(err) => {
                let causes: Vec<String> = err.chain().map(ToString::to_string).collect();
                let resume = options.resume_command(&ctx.invocation());
                bail!("{}\n\nfix the cause above, then resume with: {resume}", causes.join(": "))
            }
        }
    }
}

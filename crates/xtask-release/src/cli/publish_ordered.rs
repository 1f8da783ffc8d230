//! `publish-ordered`: arguments, the plan or the result per crate as text or JSON, and
//! the Markdown table for `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use serde::Serialize;

use super::Cx;
use crate::output::{Output, plural, print_json};
use crate::publish::order::{Plan, State, Via};
use crate::publish::pace::{Budget, RateLimit};
use crate::publish::registry_config::Registry;
use crate::publish::{self, CrateResult, IndexWait, Options, Outcome, Status};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Upload (default: print the plan)
    #[arg(long)]
    pub execute: bool,
    /// With the plan, package and verify every crate to publish (cargo package, which builds them) and record
    /// it, so that `--execute` at the same commit uploads without compiling anything
    #[arg(long, conflicts_with = "execute")]
    pub verify: bool,
    /// Compile nothing when executing; fail before any upload unless `--verify` verified these exact packages at
    /// this commit (for a step that holds the token). The plan records it: give it to the dry run you approve too
    #[arg(long)]
    pub require_verified: bool,
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
            require_verified: self.require_verified,
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
                print_plan(&plan);
                cx.print_digest(&ws, &plan)?;
            }
            // What `--execute` verifies: the crates it uploads, packaged as it packages them.
            let uploads = plan.upload_part();
            if self.verify && !uploads.crates.is_empty() {
                Self::verify(ctx, &ws, &uploads)?;
            } else if self.verify && !plan.crates.is_empty() {
                ctx.out.note(format!("nothing to verify: {} has every version of the plan", plan.registry.display()));
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
            let outcome = publish::execute(&ctx.sh, &ws, &plan, &ctx.out);
            print_result(&ctx.out, cx.json(), &plan, &outcome)?;
            // What went up, by the checksum the registry lists for it.
            let index = crate::publish::index::Index::new(&plan.registry.index_url);
            for result in outcome.results.iter().filter(|r| r.status != Status::NotPublished) {
                if let Ok(Some(entry)) = index.find(&result.name, &result.version) {
                    produced.add(format!("{} {}", result.name, result.version), entry.cksum);
                }
            }
            Self::finish(ctx, &options, outcome.error)
        })
    }

    /// `--verify`: what was verified, and whether `--execute` may rely on it.
    fn verify(ctx: &crate::context::Ctx, ws: &crate::workspace::Workspace, plan: &Plan) -> Result<()> {
        let (record, path) = publish::verified::verify(&ctx.sh, ws, plan, &ctx.out)?;
        match path {
            Some(path) => ctx.out.status(
                "Recorded",
                format!(
                    "{} verified at {} in {}: `--execute` at this commit packages them again without \
                     compiling, and uploads them if they are byte-identical",
                    crate::output::plural(record.crates.len(), "crate"),
                    record.commit,
                    path.strip_prefix(&ws.root).unwrap_or(&path)
                ),
            ),
            None => ctx.out.warn(
                "the work tree has changes, or cargo package made some (a Cargo.lock out of date?), or it is not a \
                 git work tree, so the verification is not recorded and `--execute` will verify again; commit, then \
                 run --verify again",
            ),
        }
        Ok(())
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

/// The plan as text: the levels, and the least time at crates.io's limits.
fn print_plan(plan: &Plan) {
    let mut text = format!("Publish plan for {} (index {})\n", plan.registry.display(), plan.registry.index_url);
    if plan.crates.is_empty() {
        text.push_str("\nNothing to publish: no selected member may be published to this registry.\n");
    }
    let width = plan.crates.iter().map(|c| c.name.len() + c.version.to_string().len() + 2).max().unwrap_or(0);
    for (level, names) in plan.levels.iter().enumerate() {
        let _ = writeln!(text, "\nLevel {level}{}:", if level == 0 { "" } else { " (after the levels above)" });
        for krate in plan.crates.iter().filter(|c| names.contains(&c.name)) {
            let what = format!("{} v{}", krate.name, krate.version);
            let state = match &krate.state {
                State::NewCrate => "new crate".to_string(),
                State::NewVersion => "new version".to_string(),
                State::Published { .. } => "already published: skipped if the package is identical".to_string(),
            };
            let after =
                if krate.after.is_empty() { String::new() } else { format!(" (after {})", krate.after.join(", ")) };
            let _ = writeln!(text, "  {what:<width$}  {state}{after}");
        }
    }
    let estimate = &plan.estimate;
    let (crates, versions) = (Budget::CRATES_IO_NEW_CRATES, Budget::CRATES_IO_NEW_VERSIONS);
    let _ = writeln!(
        text,
        "\nUploads: {}, {}. At crates.io's limits ({} new crates, then one per {} min; \
         {} new versions, then one per {} min) {}.",
        plural(estimate.new_crates, "new crate"),
        plural(estimate.new_versions, "new version"),
        crates.burst,
        crates.every.as_secs() / 60,
        versions.burst,
        versions.every.as_secs() / 60,
        least_time(estimate.least_seconds_at_crates_io)
    );
    let via = match plan.upload.via {
        Via::RegistryApi => "through the registry API, the .crate the preflight verifies",
        Via::CargoPublish => "with `cargo publish`, which packages again",
    };
    let _ = writeln!(text, "Upload: {via} ({}).", plan.upload.reason);
    crate::out!("{text}");
}

fn least_time(seconds: u64) -> String {
    match seconds {
        0 => "they fit in the burst, with no waiting".into(),
        s if s < 60 => format!("they need at least {s}s"),
        s => format!("they need at least {}m {:02}s", s / 60, s % 60),
    }
}

#[derive(Serialize)]
struct Report<'a> {
    registry: &'a Registry,
    complete: bool,
    crates: &'a [CrateResult],
}

/// The result on stdout, and the table in the GitHub Actions step summary when there is one.
fn print_result(out: &Output, json: bool, plan: &Plan, outcome: &Outcome) -> Result<()> {
    let report = Report { registry: &plan.registry, complete: outcome.error.is_none(), crates: &outcome.results };
    let started = outcome.results.iter().any(|r| r.status != Status::NotPublished);
    if json {
        print_json(&report)?;
    } else if started {
        crate::out!("{}", table(&report));
    }
    if out.github() {
        crate::actions::summary(&markdown(&report))?;
    }
    Ok(())
}

fn status_text(status: Status) -> &'static str {
    match status {
        Status::Published => "published",
        Status::Skipped => "skipped (already published)",
        Status::Failed => "FAILED",
        Status::Uploaded => "uploaded, not yet in the index",
        Status::NotPublished => "not published",
    }
}

fn table(report: &Report) -> String {
    let width = report.crates.iter().map(|c| c.name.len() + c.version.to_string().len() + 2).max().unwrap_or(0);
    let mut text = String::new();
    for krate in report.crates {
        let what = format!("{} v{}", krate.name, krate.version);
        let _ = writeln!(text, "{what:<width$}  {:<28}  {:>6.1}s", status_text(krate.status), krate.seconds);
    }
    text
}

fn markdown(report: &Report) -> String {
    let mut text = format!(
        "### publish-ordered to {}{}\n\n| Crate | Version | Result | Time |\n|---|---|---|---:|\n",
        report.registry.display(),
        if report.complete { "" } else { " (stopped)" }
    );
    for krate in report.crates {
        let _ = writeln!(
            text,
            "| {} | {} | {} | {:.1}s |",
            krate.name,
            krate.version,
            status_text(krate.status),
            krate.seconds
        );
    }
    text.push('\n');
    text
}

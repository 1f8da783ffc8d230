//! What `publish-ordered` prints: the plan of a dry run, the result of a run (as text or
//! JSON on stdout), and the Markdown table for `$GITHUB_STEP_SUMMARY`.

use std::fmt::Write as _;

use anyhow::Result;
use serde::Serialize;

use super::order::{Plan, State, Via};
use super::pace::Budget;
use super::registry_config::Registry;
use super::run::{CrateResult, Outcome, Status};
use crate::output::plural;
use crate::output::{Output, print_json};

/// The plan as JSON, or as text with the levels and the least time at crates.io's limits.
pub fn print_plan(json: bool, plan: &Plan) -> Result<()> {
    if json {
        return print_json(plan);
    }
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
    Ok(())
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
pub fn print_result(out: &Output, json: bool, plan: &Plan, outcome: &Outcome) -> Result<()> {
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

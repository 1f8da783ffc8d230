//! Carrying out a publish plan: a preflight over the whole set before anything is
//! uploaded, then the uploads (`upload`), and what happened to each crate.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::Utf8PathBuf;
use serde::Serialize;
use xshell::cmd;

use super::index::Index;
use super::pace::RateLimit;
use super::plan::{Crate, Plan, State};
use super::upload::Uploads;
use crate::context::Ctx;
use crate::dist::checksum::sha;
use crate::ops::cargo;
use crate::workspace::Workspace;

pub struct Options {
    pub jobs: usize,
    pub index_timeout: Duration,
    pub retries: u32,
    pub rate_limit: RateLimit,
}

/// What happened to each crate of the plan, and the error that stopped the run, if any.
pub struct Outcome {
    pub results: Vec<CrateResult>,
    pub error: Option<anyhow::Error>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrateResult {
    pub name: String,
    pub version: semver::Version,
    pub status: Status,
    /// Wall time from the start of this crate's turn to its version showing in the index.
    pub seconds: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Published,
    /// The registry already had this version with the same checksum.
    Skipped,
    Failed,
    /// Not reached: the run stopped first.
    NotPublished,
}

pub fn run(ctx: &Ctx, ws: &Workspace, plan: &Plan, index: &Index, options: &Options) -> Outcome {
    let mut results: BTreeMap<&str, CrateResult> = plan
        .crates
        .iter()
        .map(|c| {
            let result = CrateResult {
                name: c.name.clone(),
                version: c.version.clone(),
                status: Status::NotPublished,
                seconds: 0.0,
            };
            (c.name.as_str(), result)
        })
        .collect();
    let error = match preflight(ctx, ws, plan) {
        Ok(checksums) => {
            // Workflow commands share stdout with the result, which must stay JSON.
            let groups = ctx.out.github() && !ctx.json();
            Uploads::new(ctx.out, groups, ws, plan, index, options, checksums).run(&mut results)
        }
        Err(err) => Some(err),
    };
    let results = plan.crates.iter().filter_map(|c| results.remove(c.name.as_str())).collect();
    Outcome { results, error }
}

/// Everything that can be known before the first upload: a token exists, every crate
/// packages and verifies against the others, and no version on the registry differs
/// from ours. Returns the sha256 of each packaged `.crate`.
fn preflight(ctx: &Ctx, ws: &Workspace, plan: &Plan) -> Result<BTreeMap<String, String>> {
    let registry = &plan.registry;
    // STEP 1: a token, or cargo publish would fail at the first crate.
    match registry.token_source(ws.root.as_std_path())? {
        Some(source) => ctx.out.status("Found", format!("a token for {} in {source}", registry.display())),
        None => bail!("no token for {}: {}", registry.display(), registry.token_help()),
    }

    // STEP 2: one `cargo package` over the set. Cargo packages workspace members against
    // each other through a local overlay, so this verifies the set as it will be published.
    let _group = (!ctx.json()).then(|| ctx.out.group(format!("cargo package ({} crates)", plan.crates.len())));
    ctx.out.status("Verifying", format!("{} crates with cargo package", plan.crates.len()));
    let cargo = cargo::bin();
    let packages: Vec<String> = plan.crates.iter().flat_map(|c| ["-p".to_string(), c.name.clone()]).collect();
    let registry_args = registry_args(plan);
    cmd!(ctx.sh, "{cargo} package {registry_args...} {packages...}")
        .quiet()
        .run()
        .context("cargo package failed, so nothing was uploaded; fix the error cargo printed above")?;

    // STEP 3: what we would upload, against what the registry has.
    let mut checksums = BTreeMap::new();
    let mut conflicts = Vec::new();
    for krate in &plan.crates {
        let path = ws.target_dir.join("package").join(format!("{}-{}.crate", krate.name, krate.version));
        let sha = sha256_file(&path)?;
        if let State::Published { cksum } = &krate.state
            && *cksum != sha
        {
            conflicts.push(different_content(krate, plan, cksum, &sha));
        }
        checksums.insert(krate.name.clone(), sha);
    }
    if !conflicts.is_empty() {
        bail!("nothing was uploaded:\n  {}", conflicts.join("\n  "));
    }
    Ok(checksums)
}

pub(super) fn registry_args(plan: &Plan) -> Vec<String> {
    plan.registry.name.iter().flat_map(|name| ["--registry".to_string(), name.clone()]).collect()
}

pub(super) fn different_content(krate: &Crate, plan: &Plan, theirs: &str, ours: &str) -> String {
    format!(
        "`{name}` v{} is already on {} with different content (index cksum {theirs}, local package {ours}); \
         a published version cannot be replaced: bump the version of `{name}`; if only the commit differs (the \
         package records it in .cargo_vcs_info.json), publish from the commit it was published from, or leave it \
         out with --exclude {name}",
        krate.version,
        plan.registry.display(),
        name = krate.name,
    )
}

fn sha256_file(path: &Utf8PathBuf) -> Result<String> {
    let digest =
        sha::hash_file(path.as_std_path()).with_context(|| format!("cannot read the packaged crate {path}"))?;
    Ok(digest.to_string())
}

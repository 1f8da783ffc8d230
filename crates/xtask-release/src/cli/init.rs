//! `init`: arguments, the plan shown as diffs (or written), and what to run next.

use anyhow::{Context as _, Result};
use cargo_metadata::camino::Utf8PathBuf;

use super::Cx;
use crate::init::{self, Action, Dependency, Options, Plan};
use crate::output::Output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Write the files (default: print what would change, as diffs)
    #[arg(long)]
    pub execute: bool,
    /// Depend on a local checkout of xtask-release at PATH [default: the source this
    /// binary was built from when it is still there, else the crates.io version]
    #[arg(long, value_name = "PATH", conflicts_with = "dependency_git")]
    pub dependency_path: Option<Utf8PathBuf>,
    /// Depend on xtask-release from this git repository
    #[arg(long, value_name = "URL")]
    pub dependency_git: Option<String>,
    /// The revision of --dependency-git (a commit, tag or branch)
    #[arg(long, value_name = "REV", requires = "dependency_git")]
    pub rev: Option<String>,
    /// Write no workflows: call the subcommands from your own (init prints how)
    #[arg(long)]
    pub no_workflows: bool,
}

/// The plan as JSON: what was detected, and each file with its action.
#[derive(serde::Serialize)]
struct Shown<'a> {
    format_version: u32,
    #[serde(flatten)]
    plan: &'a Plan,
}

impl Args {
    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        let dependency = match &self.dependency_path {
            Some(path) => Dependency::Path(
                std::path::absolute(path)
                    .ok()
                    .and_then(|p| Utf8PathBuf::from_path_buf(p).ok())
                    .with_context(|| format!("--dependency-path {path} is not a usable path"))?,
            ),
            None => match &self.dependency_git {
                Some(url) => Dependency::Git { url: url.clone(), rev: self.rev.clone() },
                None => Dependency::built_from(),
            },
        };
        // Which source the xtask will build xtask-release from, so that a surprise shows.
        let chosen = match &dependency {
            Dependency::Path(path) if self.dependency_path.is_none() => {
                format!("the source this binary was built from, {path}")
            }
            Dependency::Path(path) => format!("the path {path}"),
            Dependency::Git { url, rev } => {
                format!("{url}{}", rev.as_ref().map(|r| format!(" at {r}")).unwrap_or_default())
            }
            Dependency::CratesIo => format!("crates.io, version {}", env!("CARGO_PKG_VERSION")),
        };
        ctx.out.note(format!("the xtask depends on xtask-release from {chosen}"));
        let options = Options::new(dependency).workflows(!self.no_workflows);
        let plan = init::plan_for(&ctx.sh, &ws, &options)?;
        // With JSON an executed run prints what it wrote (at the end), a dry run its plan.
        if cx.json() {
            if !self.execute {
                cx.print_json(&Shown { format_version: 1, plan: &plan })?;
            }
        } else {
            describe(&ctx.out, &plan, !self.execute);
            if let (false, Some(why)) = (plan.detected.single_package, &plan.detected.xtask_apart) {
                ctx.out.note(format!(
                    "the xtask is a workspace of its own (its own Cargo.lock, run through --manifest-path), \
                     so that Cargo.lock keeps every version it holds: {why}"
                ));
            }
            beside(&ctx.out, &plan);
            if plan.workflows.is_empty() || plan.workflows.iter().any(|w| w.beside.is_some()) {
                crate::out!("{YOUR_WORKFLOWS}");
            }
        }
        let todo = plan.files.iter().filter(|c| c.writes()).count();
        if !self.execute {
            if todo > 0 {
                ctx.out.note("dry run; pass --execute to write these files");
            }
            return Ok(());
        }
        // Recorded but not gated: `init` writes the config that `require-approval` lives in.
        let digest = crate::approval::digest_value(&serde_json::to_value(&plan)?);
        let version = crate::version::current(&ws).ok();
        let trail = crate::audit::trail(&ctx.sh, &ws, version.as_ref()).with_plan(digest, None);
        let written = trail.step(cx.command, |produced| {
            let written = init::execute(&ws.root, &plan, &ctx.out)?;
            for change in plan.files.iter().filter(|c| c.writes()) {
                produced.add(change.path.as_str(), format!("{:?}", change.action).to_lowercase());
            }
            if written == 0 {
                produced.skip();
            }
            Ok(written)
        })?;
        if cx.json() {
            #[derive(serde::Serialize)]
            struct Written<'a> {
                written: Vec<&'a str>,
            }
            let files = plan.files.iter().filter(|c| c.writes()).map(|c| c.path.as_str()).collect();
            cx.print_json(&Written { written: files })?;
        }
        if written == 0 {
            ctx.out.status("Finished", "nothing to do: xtask-release is set up here already");
        } else {
            let lock = if plan.detected.xtask_apart.is_some() {
                " and xtask/Cargo.lock (the first run writes it)"
            } else {
                ""
            };
            ctx.out.note(format!(
                "next: `cargo xtask check-version`, `cargo xtask build-matrix`, then commit these files{lock}"
            ));
        }
        Ok(())
    }
}

/// How a project's own workflows call the release steps, printed when init writes no
/// workflow of the usual name.
const YOUR_WORKFLOWS: &str = "\
To run the release from your own workflows instead (docs/commands.md shows init's):
  on every push:        cargo xtask check-version
                        cargo xtask build-matrix
  on a tag (TAG):       cargo xtask check-version --tag \"$TAG\" --on-release-branch
                        cargo xtask build-matrix --github-output    # outputs matrix and builds
  per target (TARGET):  cargo xtask dist --target \"$TARGET\" --out dist --execute
  to publish:           cargo xtask publish-ordered --verify
                        cargo xtask publish-ordered --execute --require-verified    # CARGO_REGISTRY_TOKEN
  to release:           cargo xtask github-release --tag \"$TAG\" --assets dist --execute    # GITHUB_TOKEN
";

fn describe(out: &Output, plan: &Plan, dry_run: bool) {
    let d = &plan.detected;
    let shape = if d.single_package { "a root package (not a workspace)" } else { "a workspace" };
    let bins: Vec<String> = d.bins.iter().map(|(_, bin)| bin.clone()).collect();
    crate::outln!(
        "Detected {shape}; tag prefix `{}`, release branch `{}`, shipping {}",
        d.tag_prefix,
        d.branch,
        if bins.is_empty() { "no binaries".to_string() } else { bins.join(", ") }
    );
    for change in plan.files.iter().filter(|c| dry_run || !c.writes()) {
        let verb = match change.action {
            Action::Create => "Would create",
            Action::Edit => "Would edit",
            Action::Unchanged => "Unchanged",
            Action::Kept => "Keeping",
        };
        let why = if change.action == Action::Kept { " (written by init, edited since)" } else { "" };
        out.status(verb, format!("{}{why}", change.path));
        if change.writes() {
            crate::out!(
                "{}",
                crate::ops::diff::unified(change.path.as_str(), change.before.as_deref().unwrap_or(""), &change.after)
            );
        }
    }
}

/// Says where init's workflows went beside the project's own.
fn beside(out: &Output, plan: &Plan) {
    for workflow in &plan.workflows {
        let Some(theirs) = &workflow.beside else { continue };
        out.note(format!("{theirs} is your own and stays; init's goes beside it as {}", workflow.path));
        if workflow.kind == "release" {
            out.warn(format!(
                "{theirs} and {} both run on a tag push: let only one of them publish \
                 (remove the publishing from yours, or delete init's)",
                workflow.path
            ));
        }
    }
}

//! `init`: adopts xtask-release in a repository. Facts first (the root manifest, git's
//! tags and branch, cargo-release's table), then every file it would write or edit as a
//! plan of whole texts, shown as diffs in the dry run and written with `--execute`.
//!
//! A workspace gets an `xtask` member, unless that would change a version its Cargo.lock
//! holds (or not resolve at all): adopting never changes what the product builds with.
//! Then, and for a root package that is not a workspace, the xtask is a workspace of its
//! own with its own Cargo.lock, run through `--manifest-path`: a `[workspace]` in the
//! root would pull every nested standalone crate into it and break them.
//! Idempotent: a file that already says what init would write is left alone, one it
//! wrote and you edited since is kept, and one it did not write stops it before anything
//! is written. A project's own `ci.yml`/`release.yml` stay: ours go beside them under
//! names of our own (`workflows` says which), or nowhere with `--no-workflows`.

pub(crate) mod detect;
mod lock;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;
use xshell::{Shell, cmd};

use crate::cargo_release;
pub use crate::cargo_release::{Key, Translation};
use crate::config::{PACKAGE_TABLE, WORKSPACE_TABLE};
use crate::ops::fs;
use crate::report::Reporter;
use crate::workspace::Workspace;

/// The line that marks a file as init's: one with it that you edited is kept, one
/// without it is never overwritten.
const MARK: &str = "Written by xtask-release init";
const CI_TEMPLATE: &str = include_str!("templates/ci.yml");
const RELEASE_TEMPLATE: &str = include_str!("templates/release.yml");

/// What detection found, shown with the plan and written into the config.
#[derive(Debug, Clone, Serialize)]
pub struct Detected {
    /// `true` for a root package without `[workspace]`.
    pub single_package: bool,
    /// Why the xtask is a workspace of its own (`None`: a member of the workspace).
    pub xtask_apart: Option<String>,
    pub tag_prefix: String,
    pub branch: String,
    /// `(package, bin)` pairs that ship.
    pub bins: Vec<(String, String)>,
    pub has_changelog: bool,
    /// The root manifest's (or `[workspace.package]`'s) rust-version, for the MSRV job.
    pub rust_version: Option<String>,
    /// cargo-release keys and what they became, for the config's comments.
    #[serde(skip)]
    pub cargo_release: Vec<cargo_release::Key>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Edit,
    /// Already as init would write it.
    Unchanged,
    /// Written by init and edited since: left as it is.
    Kept,
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Relative to the root.
    pub path: Utf8PathBuf,
    pub action: Action,
    #[serde(skip)]
    pub before: Option<String>,
    #[serde(skip)]
    pub after: String,
}

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Plan {
    pub detected: Detected,
    pub files: Vec<Change>,
    /// Where init's workflows go; empty with `--no-workflows`.
    pub workflows: Vec<Workflow>,
}

/// One of init's workflows and where it goes.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Workflow {
    /// `ci` or `release`.
    pub kind: &'static str,
    /// Relative to the root.
    pub path: Utf8PathBuf,
    /// The project's own workflow under the usual name, which ours goes beside.
    pub beside: Option<Utf8PathBuf>,
}

/// What to set up, besides what detection finds.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Options {
    pub dependency: Dependency,
    /// Write the CI and release workflows (`--no-workflows`: the project calls the
    /// subcommands from its own).
    pub workflows: bool,
}

impl Options {
    pub fn new(dependency: Dependency) -> Options {
        Options { dependency, workflows: true }
    }

    pub fn workflows(mut self, workflows: bool) -> Options {
        self.workflows = workflows;
        self
    }
}

/// init's workflows: the kind, the usual name, and the name of our own used when the
/// project has a workflow of the usual name that init did not write (adopting must not
/// cost a project its CI).
const WORKFLOWS: [(&str, &str, &str, &str); 2] = [
    ("ci", ".github/workflows/ci.yml", ".github/workflows/xtask-release-ci.yml", CI_TEMPLATE),
    ("release", ".github/workflows/release.yml", ".github/workflows/xtask-release.yml", RELEASE_TEMPLATE),
];

/// Writes every file the plan creates or edits, saying each; returns how many.
pub fn execute(root: &Utf8Path, plan: &Plan, reporter: &dyn Reporter) -> Result<usize> {
    let todo: Vec<&Change> = plan.files.iter().filter(|c| c.writes()).collect();
    todo.iter().try_for_each(|change| fs::check_inside(root, &root.join(&change.path)))?;
    for change in &todo {
        let path = root.join(&change.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
        }
        fs::write_atomic(&path, change.after.as_bytes())?;
        reporter.status(if change.action == Action::Create { "Created" } else { "Updated" }, change.path.as_str());
    }
    Ok(todo.len())
}

/// Facts and plan in one, for the CLI and library callers: reads the repository's files.
pub fn plan_for(sh: &Shell, ws: &Workspace, options: &Options) -> Result<Plan> {
    if let Dependency::Path(path) = &options.dependency {
        check_checkout(path)?;
    }
    let mut detected = detect(sh, ws)?;
    let mut read = |path: &str| read_if_exists(&ws.root.join(path));
    let plan = plan(&ws.root, &detected, options, &mut read)?;
    if detected.xtask_apart.is_some() {
        return Ok(plan);
    }
    // The fact that needs the plan: what cargo makes of the workspace with the xtask in it.
    detected.xtask_apart = lock::why_not_a_member(sh, ws, &plan.files)?;
    if detected.xtask_apart.is_none() {
        return Ok(plan);
    }
    self::plan(&ws.root, &detected, options, &mut read)
}

impl Change {
    /// Whether executing the plan writes this file.
    pub fn writes(&self) -> bool {
        matches!(self.action, Action::Create | Action::Edit)
    }
}

/// Where the xtask gets xtask-release from.
#[derive(Debug, Clone)]
pub enum Dependency {
    /// The version this binary is, from crates.io.
    CratesIo,
    /// A local checkout's crate directory (`crates/xtask-release`) or its repository root.
    Path(Utf8PathBuf),
    /// A git repository, at a revision when given.
    Git { url: String, rev: Option<String> },
}

impl Dependency {
    /// The source this binary was built from when it is still there (`cargo install
    /// --path` from a clone), else the registry version. A copy cargo unpacked for
    /// `cargo install` from a registry or git (under `$CARGO_HOME`) is not a source to
    /// depend on: cargo may clean it away.
    pub fn built_from() -> Dependency {
        let dir = Utf8Path::new(env!("CARGO_MANIFEST_DIR"));
        let unpacked = ["registry/src", "git/checkouts"].iter().any(|part| dir.as_str().contains(part));
        if !unpacked && dir.join("Cargo.toml").is_file() && dir.join("src/lib.rs").is_file() {
            Dependency::Path(dir.to_owned())
        } else {
            Dependency::CratesIo
        }
    }
}

/// A local checkout to depend on is a directory with xtask-release's manifest, at its
/// root or in `crates/xtask-release`: an xtask pointing anywhere else would fail only at
/// its first build, after init said it was set up.
fn check_checkout(path: &Utf8Path) -> Result<()> {
    let found = ["Cargo.toml", "crates/xtask-release/Cargo.toml"].iter().any(|m| path.join(m).is_file());
    if !found {
        let what = if path.is_dir() { "holds no Cargo.toml of xtask-release" } else { "does not exist" };
        bail!(
            "the dependency path {path} {what}; give the directory of a checkout of xtask-release (its root or \
             crates/xtask-release), or leave --dependency-path out"
        );
    }
    Ok(())
}

/// The facts: the root manifest's shape, git's tags and branch, the binaries.
pub fn detect(sh: &Shell, ws: &Workspace) -> Result<Detected> {
    let manifest = fs::read(&ws.manifest_path)?;
    let doc: toml_edit::DocumentMut = manifest.parse().with_context(|| format!("cannot parse {}", ws.manifest_path))?;
    let single_package = !doc.contains_key("workspace");
    let _root = sh.push_dir(ws.root.as_std_path());
    let tags = crate::ops::git::read(sh, cmd!(sh, "git tag --list"), "cannot list the git tags")?;
    let tags: Vec<String> = tags.lines().map(String::from).collect();
    let their = ["workspace", "package"]
        .iter()
        .find_map(|t| doc.get(t).and_then(|t| t.get("metadata")).and_then(|m| m.get("release")))
        .map(toml_to_json)
        .unwrap_or(serde_json::Value::Null);
    let cargo_release = cargo_release::translate(&their);
    let translated_prefix = cargo_release.iter().find_map(|k| match &k.translation {
        Translation::As { key, value } if key == "tag-prefix" => Some(value.trim_matches('"').to_string()),
        _ => None,
    });
    Ok(Detected {
        single_package,
        xtask_apart: single_package.then(|| "the root package is not a workspace, and must not become one".into()),
        tag_prefix: detect::tag_prefix(&tags).or(translated_prefix).unwrap_or_else(|| "v".into()),
        branch: release_branch(sh)?,
        bins: detect::shipped_bins(&ws.members),
        has_changelog: ws.root.join("CHANGELOG.md").is_file(),
        rust_version: [doc.get("workspace").and_then(|w| w.get("package")), doc.get("package")]
            .into_iter()
            .flatten()
            .find_map(|t| t.get("rust-version").and_then(|v| v.as_str()).map(String::from)),
        cargo_release,
    })
}

/// origin's default branch, else the checked-out one, else `main`.
fn release_branch(sh: &Shell) -> Result<String> {
    let out = cmd!(sh, "git symbolic-ref --quiet --short refs/remotes/origin/HEAD").quiet().ignore_status().output()?;
    let origin_head = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if let Some(branch) = origin_head.strip_prefix("origin/").filter(|_| out.status.success()) {
        return Ok(branch.to_string());
    }
    Ok(crate::ops::git::current_branch(sh)?.unwrap_or_else(|| "main".into()))
}

/// Every file init writes, each compared with what is there (`read` gives a file's text
/// by its path relative to the root, `None` when missing): a pure function of the facts.
pub fn plan(
    root: &Utf8Path,
    detected: &Detected,
    options: &Options,
    read: &mut dyn FnMut(&str) -> Result<Option<String>>,
) -> Result<Plan> {
    let mut files = Vec::new();
    let mut refused = Vec::new();
    let ours = |text: String, comment: &str| format!("{comment} {MARK}.\n{text}");

    let test_command = ["cargo", "test", "--workspace"].map(String::from);
    let mut generated = vec![
        ("xtask/Cargo.toml".to_string(), ours(xtask_manifest(root, detected, &options.dependency), "#")),
        ("xtask/src/main.rs".to_string(), ours(XTASK_MAIN.into(), "//")),
    ];
    let mut workflows = Vec::new();
    for (kind, usual, own, template) in WORKFLOWS.into_iter().filter(|_| options.workflows) {
        let workflow = workflow_path(kind, usual, own, read)?;
        let vars = detect::Vars {
            tag_prefix: &detected.tag_prefix,
            test_command: &test_command,
            rust_version: detected.rust_version.as_deref(),
            build_xtask: if detected.xtask_apart.is_some() { BUILD_OWN_XTASK } else { BUILD_MEMBER_XTASK },
        };
        generated.push((workflow.path.to_string(), ours(detect::render_workflow(template, &vars), "#")));
        workflows.push(workflow);
    }
    for (path, after) in generated {
        let before = read(&path)?;
        let action = match &before {
            None => Action::Create,
            Some(text) if *text == after => Action::Unchanged,
            Some(text) if text.contains(MARK) => Action::Kept,
            Some(_) => {
                refused.push(path.clone());
                continue;
            }
        };
        files.push(Change { path: path.into(), action, before, after });
    }
    if !refused.is_empty() {
        bail!(
            "{} already exist{} and xtask-release init did not write {}; move {} aside (or delete {}) and re-run, \
             nothing was written",
            refused.join(", "),
            if refused.len() == 1 { "s" } else { "" },
            if refused.len() == 1 { "it" } else { "them" },
            if refused.len() == 1 { "it" } else { "them" },
            if refused.len() == 1 { "it" } else { "them" },
        );
    }

    let manifest = read("Cargo.toml")?.with_context(|| format!("{root}/Cargo.toml is missing"))?;
    files.push(edit("Cargo.toml", &manifest, root_manifest(&manifest, detected)?));
    let config_path = ".cargo/config.toml";
    let config = read(config_path)?;
    let alias = if detected.xtask_apart.is_some() { SINGLE_ALIAS } else { WORKSPACE_ALIAS };
    let after = cargo_config(config.as_deref().unwrap_or(""), alias)?;
    files.push(match config {
        Some(before) => edit(config_path, &before, after),
        None => Change { path: config_path.into(), action: Action::Create, before: None, after },
    });
    let ignored = ignored_dirs(detected);
    if !ignored.is_empty() {
        let before = read(".gitignore")?;
        let after = gitignore(before.as_deref().unwrap_or(""), &ignored);
        files.push(match before {
            Some(before) => edit(".gitignore", &before, after),
            None => Change { path: ".gitignore".into(), action: Action::Create, before: None, after },
        });
    }
    Ok(Plan { detected: detected.clone(), files, workflows })
}

/// The folders a release writes that git must not see (an untracked file fails the
/// release's clean-tree check): the assets the workflow's `dist --out dist` writes, and
/// the target folder of an xtask that is a workspace of its own.
fn ignored_dirs(detected: &Detected) -> Vec<&'static str> {
    let mut dirs = Vec::new();
    if !detected.bins.is_empty() {
        dirs.push("/dist/");
    }
    if detected.xtask_apart.is_some() {
        dirs.push("/xtask/target/");
    }
    dirs
}

/// `.gitignore` with each of `dirs` added unless a line ignores it already (`dist`,
/// `/dist`, `dist/`, `/dist/` alike).
fn gitignore(text: &str, dirs: &[&str]) -> String {
    let bare = |line: &str| line.trim().trim_matches('/').to_string();
    let present: Vec<String> = text.lines().map(bare).collect();
    let missing: Vec<&&str> = dirs.iter().filter(|d| !present.contains(&bare(d))).collect();
    if missing.is_empty() {
        return text.to_string();
    }
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str("# What xtask-release writes (assets, the xtask's own build).\n");
    for dir in missing {
        out.push_str(dir);
        out.push('\n');
    }
    out
}

/// Where a workflow of init's goes: where it went before (its own name, when init
/// wrote it there), else the usual name unless the project has a workflow of its own
/// there, else the name of our own beside it.
fn workflow_path(
    kind: &'static str,
    usual: &str,
    own: &str,
    read: &mut dyn FnMut(&str) -> Result<Option<String>>,
) -> Result<Workflow> {
    let theirs = read(usual)?.filter(|text| !text.contains(MARK)).map(|_| Utf8PathBuf::from(usual));
    let own_is_ours = read(own)?.is_some_and(|text| text.contains(MARK));
    let path = if own_is_ours || theirs.is_some() { own } else { usual };
    Ok(Workflow { kind, path: path.into(), beside: theirs })
}

/// Builds the xtask before the token is in reach: as a member of the workspace, or as a
/// workspace of its own beside a root package (`--package` would find no such member).
const BUILD_MEMBER_XTASK: &str = "cargo build --package xtask --locked";
const BUILD_OWN_XTASK: &str = "cargo build --manifest-path xtask/Cargo.toml --locked";

fn edit(path: &str, before: &str, after: String) -> Change {
    let action = if before == after { Action::Unchanged } else { Action::Edit };
    Change { path: path.into(), action, before: Some(before.to_string()), after }
}

const WORKSPACE_ALIAS: &str = "run --package xtask --";
/// The xtask is a workspace of its own beside a root package; run it from the root.
const SINGLE_ALIAS: &str = "run --manifest-path xtask/Cargo.toml --";

const XTASK_MAIN: &str = "//! This repository's release commands: `cargo xtask --help`.

fn main() -> std::process::ExitCode {
    xtask_release::main()
}
";

fn xtask_manifest(root: &Utf8Path, detected: &Detected, dependency: &Dependency) -> String {
    let dependency = match dependency {
        Dependency::CratesIo => {
            let version = semver::Version::parse(env!("CARGO_PKG_VERSION")).expect("our own version is semver");
            format!("\"{}.{}\"", version.major, version.minor)
        }
        Dependency::Path(path) => {
            let krate = path.join("crates/xtask-release");
            let path = if krate.join("Cargo.toml").is_file() { krate } else { path.clone() };
            format!("{{ path = {} }}", toml_edit::Value::from(xtask_relative(root, &path).as_str()))
        }
        Dependency::Git { url, rev } => {
            let rev =
                rev.as_ref().map(|r| format!(", rev = {}", toml_edit::Value::from(r.as_str()))).unwrap_or_default();
            format!("{{ git = {}{rev} }}", toml_edit::Value::from(url.as_str()))
        }
    };
    let workspace = match &detected.xtask_apart {
        None => "",
        Some(_) if detected.single_package => {
            "\n# A workspace of its own: the root package is not one, and must not become one.\n[workspace]\n"
        }
        Some(_) => {
            "\n# A workspace of its own, with its own Cargo.lock: as a member of the product's workspace it\n\
             # would have changed a version the product's Cargo.lock holds.\n[workspace]\n"
        }
    };
    format!(
        "[package]\nname = \"xtask\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nxtask-release = {dependency}\n{workspace}"
    )
}

/// `path` as the xtask's manifest names it: relative to `xtask/` when it is inside the
/// repository (so that the repository works from any clone), else as it is.
fn xtask_relative(root: &Utf8Path, path: &Utf8Path) -> Utf8PathBuf {
    // `root/../x` is outside: resolve `..` by its words before comparing.
    let mut plain = Utf8PathBuf::new();
    for part in path.components() {
        match part {
            cargo_metadata::camino::Utf8Component::ParentDir => {
                plain.pop();
            }
            cargo_metadata::camino::Utf8Component::CurDir => {}
            part => plain.push(part),
        }
    }
    let path = plain.as_path();
    match path.strip_prefix(root) {
        Ok(inside) => Utf8Path::new("..").join(inside),
        Err(_) => path.to_owned(),
    }
}

/// The root Cargo.toml with the xtask member (a workspace) and our table when it is not
/// there yet (with the detected values and cargo-release's keys translated).
fn root_manifest(manifest: &str, detected: &Detected) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = manifest.parse().context("cannot parse Cargo.toml")?;
    let (table, key) =
        if detected.single_package { (PACKAGE_TABLE, "package") } else { (WORKSPACE_TABLE, "workspace") };
    let has_ours = doc.get(key).and_then(|t| t.get("metadata")).and_then(|m| m.get("xtask-release")).is_some();
    if !detected.single_package {
        // Apart, `exclude` keeps a glob member (`*`) from taking it in.
        let (list, covered): (&str, &[&str]) = match detected.xtask_apart {
            Some(_) => ("exclude", &["xtask", "./xtask"]),
            None => ("members", &["xtask", "./xtask", "*"]),
        };
        let entries = doc["workspace"]
            .as_table_like_mut()
            .context("[workspace] in Cargo.toml is not a table")?
            .entry(list)
            .or_insert(toml_edit::value(toml_edit::Array::new()));
        let entries =
            entries.as_array_mut().with_context(|| format!("workspace.{list} in Cargo.toml is not an array"))?;
        if !entries.iter().any(|m| m.as_str().is_some_and(|m| covered.contains(&m))) {
            entries.push("xtask");
        }
    }
    let mut text = doc.to_string();
    if !has_ours {
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&config_table(table, detected));
    }
    Ok(text)
}

fn config_table(table: &str, detected: &Detected) -> String {
    let mut out =
        format!("# xtask-release's config ({MARK}; the keys: `cargo xtask --help`, docs/configuration.md).\n");
    out.push_str(&format!("[{table}]\n"));
    out.push_str(&format!("tag-prefix = {}\n", toml_edit::Value::from(detected.tag_prefix.as_str())));
    out.push_str(&format!("branch = {}\n", toml_edit::Value::from(detected.branch.as_str())));
    if !detected.has_changelog {
        out.push_str("# No CHANGELOG.md: remove this line and run `cargo xtask changelog --execute` to keep one.\n");
        out.push_str("changelog = false\n");
    }
    for key in &detected.cargo_release {
        match &key.translation {
            Translation::As { key: ours, value } if !matches!(ours.as_str(), "tag-prefix" | "branch") => {
                out.push_str(&format!("{ours} = {value}  # from cargo-release's `{}`\n", key.name));
            }
            Translation::Not(why) => {
                out.push_str(&format!("# cargo-release's `{}` is not translated: {why}\n", key.name))
            }
            _ => {}
        }
    }
    if !detected.bins.is_empty() {
        out.push_str(&format!("\n[{table}.dist]\n# The binaries that ship; helper binaries stay home.\nbins = [\n"));
        for (package, bin) in &detected.bins {
            out.push_str(&format!(
                "    {{ package = {}, bin = {} }},\n",
                toml_edit::Value::from(package.as_str()),
                toml_edit::Value::from(bin.as_str())
            ));
        }
        out.push_str("]\ntargets = [\n");
        for (triple, _, _) in crate::dist::targets::DEFAULTS {
            out.push_str(&format!("    {{ triple = \"{triple}\" }},\n"));
        }
        out.push_str("]\n");
    }
    out
}

/// `.cargo/config.toml` with the `xtask` alias merged in; an `xtask` alias that runs
/// something else is not ours to replace.
fn cargo_config(text: &str, alias: &str) -> Result<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().context("cannot parse .cargo/config.toml")?;
    let aliases = doc
        .entry("alias")
        .or_insert(toml_edit::table())
        .as_table_like_mut()
        .context("[alias] in .cargo/config.toml is not a table")?;
    match aliases.get("xtask") {
        Some(existing) if existing.as_str() == Some(alias) => {}
        // The other form init writes: the xtask moved in or out of the workspace.
        Some(existing) if existing.as_str().is_some_and(|e| [SINGLE_ALIAS, WORKSPACE_ALIAS].contains(&e)) => {
            aliases.insert("xtask", toml_edit::value(alias));
        }
        Some(existing) => bail!(
            ".cargo/config.toml has an `xtask` alias already ({}); make it `xtask = \"{alias}\"` or remove it, \
             and re-run; nothing was written",
            existing.to_string().trim()
        ),
        None => {
            aliases.insert("xtask", toml_edit::value(alias));
        }
    }
    Ok(doc.to_string())
}

fn read_if_exists(path: &Utf8Path) -> Result<Option<String>> {
    if path.exists() { fs::read(path).map(Some) } else { Ok(None) }
}

/// A `toml_edit` item as the JSON cargo metadata would give for it.
fn toml_to_json(item: &toml_edit::Item) -> serde_json::Value {
    use serde_json::Value as J;
    fn value(v: &toml_edit::Value) -> J {
        match v {
            toml_edit::Value::String(s) => J::String(s.value().clone()),
            toml_edit::Value::Integer(i) => J::from(*i.value()),
            toml_edit::Value::Float(f) => J::from(*f.value()),
            toml_edit::Value::Boolean(b) => J::Bool(*b.value()),
            toml_edit::Value::Datetime(d) => J::String(d.value().to_string()),
            toml_edit::Value::Array(a) => J::Array(a.iter().map(value).collect()),
            toml_edit::Value::InlineTable(t) => J::Object(t.iter().map(|(k, v)| (k.to_string(), value(v))).collect()),
        }
    }
    match item {
        toml_edit::Item::Value(v) => value(v),
        toml_edit::Item::Table(t) => J::Object(t.iter().map(|(k, v)| (k.to_string(), toml_to_json(v))).collect()),
        toml_edit::Item::ArrayOfTables(a) => {
            J::Array(a.iter().map(|t| toml_to_json(&toml_edit::Item::Table(t.clone()))).collect())
        }
        toml_edit::Item::None => J::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitignore_adds_only_what_no_line_ignores_yet() {
        let dirs = ["/dist/", "/xtask/target/"];
        assert_eq!(
            gitignore("", &dirs),
            "# What xtask-release writes (assets, the xtask's own build).\n/dist/\n/xtask/target/\n"
        );
        assert_eq!(
            gitignore("/target\ndist", &dirs),
            "/target\ndist\n# What xtask-release writes (assets, the xtask's own build).\n/xtask/target/\n"
        );
        let done = gitignore("target/\n", &dirs);
        assert_eq!(gitignore(&done, &dirs), done);
    }
}

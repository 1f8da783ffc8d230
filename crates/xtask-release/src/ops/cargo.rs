//! Running cargo: the same cargo that runs us when `$CARGO` is set, with no token in its
//! environment unless it must authenticate, and the check that Cargo.lock matches the
//! manifests.

use std::ffi::OsString;

use cargo_metadata::camino::Utf8Path;
use xshell::{Cmd, Shell, cmd};

use crate::ops::redact::redact;
use crate::report::Reporter;

/// The cargo binary: `$CARGO` when set (it is under `cargo run` and `cargo xtask`), so a
/// toolchain override applies to what we run too. Private: every cargo we start goes
/// through [`command`] or [`authenticated`], which decide what it may see.
fn bin() -> OsString {
    std::env::var_os("CARGO").filter(|v| !v.is_empty()).unwrap_or_else(|| "cargo".into())
}

/// How the cargo of [`Plan`](crate::dist::build::Plan)s and messages is named.
pub fn name() -> String {
    bin().to_string_lossy().into_owned()
}

/// Cargo with no secret in its environment. `cargo package`, `build`, `metadata` and the
/// like run code of the crate and of every dependency (build scripts, proc macros), which
/// has no use for a registry or GitHub token and must not be able to read one. We read the
/// token ourselves (`publish::registry_config`) for our own upload.
pub fn command(sh: &Shell) -> Cmd<'_> {
    let cargo = bin();
    without_secrets(cmd!(sh, "{cargo}"))
}

/// Cargo for the commands that authenticate to a registry (`cargo publish` when only cargo
/// can get the token, `cargo yank`): registry tokens kept, GitHub's removed. Every token
/// this cargo could send is registered with the redactor first, wherever cargo finds it:
/// a registry may echo it in an answer that cargo quotes.
pub fn authenticated(sh: &Shell) -> Cmd<'_> {
    crate::publish::registry_config::register_tokens(&sh.current_dir());
    let cargo = bin();
    remove(cmd!(sh, "{cargo}"), |name| GITHUB_TOKENS.contains(&name))
}

/// `command` with its environment scrubbed of every registry and GitHub token, for any
/// program that builds crates (`cross`, a configured test command).
pub fn without_secrets(command: Cmd<'_>) -> Cmd<'_> {
    remove(command, is_secret)
}

/// GitHub's tokens as `gh` and Actions name them.
const GITHUB_TOKENS: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];

/// Whether an environment variable holds a token: cargo's `CARGO_REGISTRY_TOKEN` and
/// `CARGO_REGISTRIES_<NAME>_TOKEN`, and GitHub's. Pure, for tests.
pub fn is_secret(name: &str) -> bool {
    name == "CARGO_REGISTRY_TOKEN"
        || (name.starts_with("CARGO_REGISTRIES_") && name.ends_with("_TOKEN"))
        || GITHUB_TOKENS.contains(&name)
}

/// Removes each variable of our environment that `drop` names. Names that are not UTF-8
/// cannot be any of the above.
fn remove<'a>(mut command: Cmd<'a>, drop: impl Fn(&str) -> bool) -> Cmd<'a> {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(&drop) {
            command = command.env_remove(name);
        }
    }
    command
}

/// Runs a cargo (or `cross`) that prints as it works, as `reporter` wants its output: a
/// reporter that passes tool output (the CLI) sees it stream to stderr as it comes; any
/// other gets all of it, redacted, in [`Reporter::tool_output`] under `name`, and on
/// failure the error carries cargo's last relevant lines, since nothing was shown.
pub fn run_reporting(command: Cmd<'_>, name: &str, reporter: &dyn Reporter) -> anyhow::Result<()> {
    if reporter.passes_tool_output() {
        return Ok(command.run()?);
    }
    let shown = redact(&command.to_string());
    let out = command.env("CARGO_TERM_COLOR", "never").ignore_status().output()?;
    let text = redact(&(String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)));
    if !text.trim().is_empty() {
        reporter.tool_output(name, &text);
    }
    if out.status.success() {
        return Ok(());
    }
    let code = super::exit_description(out.status);
    anyhow::bail!("`{shown}` failed ({code}):\n{}", last_relevant(&text))
}

/// Where the output of a [`run_reporting`] run went, for an error that points the user
/// at it: "printed above" when it streamed to the terminal, "reported" otherwise.
pub fn where_shown(reporter: &dyn Reporter) -> &'static str {
    if reporter.passes_tool_output() { "printed above" } else { "reported" }
}

/// What explains a failure: from cargo's first `error` line on (the progress before it is
/// noise), at most the last 20 non-empty lines, indented. Pure, for tests.
pub fn last_relevant(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let first_error = lines.iter().position(|l| l.trim_start().starts_with("error")).unwrap_or(0);
    let lines = &lines[first_error..];
    let lines = &lines[lines.len().saturating_sub(20)..];
    lines.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
}

/// `cargo package` as the publish preflight runs it. Its verification builds each package
/// from its `.crate` in a directory that is extracted anew on every run, so their
/// incremental caches (cargo keeps one for every path package, which the extracted package
/// is) are written and never read: turning incremental compilation off saves that work
/// and changes nothing that is checked, since incremental compilation is only a cache of
/// the same compiler's results. Everything else (profile, features, target, lockfile,
/// target dir) is cargo's, and dependencies are never built incrementally, so the
/// dependencies a warm target dir already has are reused as before.
pub fn for_verification(command: Cmd<'_>) -> Cmd<'_> {
    command.env("CARGO_INCREMENTAL", "0")
}

/// The lock check: re-resolve the workspace's own packages, everything else held at its
/// locked version, and refuse to change Cargo.lock. It reads the registry index (cached,
/// or fetched) but no package, so packages for other targets need not be downloaded, as
/// `cargo metadata --locked` would need them.
pub const LOCK_CHECK: &str = "cargo update --workspace --locked";

/// Why the lock check did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockProblem {
    /// Cargo.lock does not match the manifests; the text says how (cargo's words).
    Mismatch(String),
    /// The registry index or a git dependency is neither cached nor reachable: a cache or
    /// network problem, not a verdict on Cargo.lock.
    Unreachable(String),
    /// Anything else cargo refused, e.g. a manifest it cannot read.
    Failed(String),
}

impl LockProblem {
    /// What is wrong with `lockfile`, cargo's words included.
    pub fn detail(&self, lockfile: &str) -> String {
        match self {
            LockProblem::Mismatch(why) => format!("{lockfile} does not match the manifests after the bump:\n{why}"),
            LockProblem::Unreachable(why) => format!(
                "cannot check {lockfile}: what it names is neither in cargo's cache nor reachable over the network \
                 (a cache or network problem, not a lock file that does not match):\n{why}"
            ),
            LockProblem::Failed(why) => format!("`{LOCK_CHECK}` failed on {lockfile}:\n{why}"),
        }
    }

    /// What to do about it.
    pub fn fix(&self) -> String {
        match self {
            LockProblem::Mismatch(_) => "update it (`cargo update --workspace`), commit it, and re-run".into(),
            LockProblem::Unreachable(_) => {
                format!("with network access, run `cargo fetch` (or `{LOCK_CHECK}`) once, then re-run")
            }
            LockProblem::Failed(_) => "fix what cargo reports and re-run".into(),
        }
    }

    /// The detail and the fix in one message.
    pub fn message(&self, lockfile: &str) -> String {
        let fix = self.fix();
        let mut chars = fix.chars();
        let fix: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        format!("{}\n{fix}", self.detail(lockfile))
    }
}

/// Runs [`LOCK_CHECK`] on the workspace of `manifest`, offline first, then with network
/// when the offline run missed something in the cache. `lock_text` is Cargo.lock as
/// cargo will read it, to tell a package missing from the cache from one missing from
/// the lock file.
pub fn check_lock(sh: &Shell, manifest: &Utf8Path, lock_text: &str) -> Result<(), LockProblem> {
    let offline = run_lock_check(sh, manifest, true);
    let problem = match offline {
        Ok(()) => return Ok(()),
        Err(text) => classify(&text, lock_text),
    };
    if !matches!(problem, LockProblem::Unreachable(_)) {
        return Err(problem);
    }
    match run_lock_check(sh, manifest, false) {
        Ok(()) => Ok(()),
        Err(text) => Err(classify(&text, lock_text)),
    }
}

/// Cargo's stderr when the check fails, or why cargo could not run.
fn run_lock_check(sh: &Shell, manifest: &Utf8Path, offline: bool) -> Result<(), String> {
    let offline = offline.then_some("--offline");
    let command = command(sh)
        .args(["update", "--workspace", "--locked"])
        .args(offline)
        .arg("--manifest-path")
        .arg(manifest)
        .env("CARGO_TERM_COLOR", "never")
        .quiet()
        .ignore_status();
    match command.output() {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(redact(&String::from_utf8_lossy(&out.stderr))),
        Err(err) => Err(format!("cannot run cargo: {err}")),
    }
}

/// Sorts cargo's complaint into a lock file that does not match, a cache or network
/// problem, or something else. Pure, for tests.
pub fn classify(stderr: &str, lock_text: &str) -> LockProblem {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let text = lines.iter().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n");
    if stderr.contains("--locked was passed") {
        // Cargo names what it would change (`Updating a v0.1.0 -> v0.2.0`, `Adding b`)
        // before the refusal; those lines are the useful part.
        return LockProblem::Mismatch(text);
    }
    if let Some(name) = missing_package(stderr) {
        let locked = lock_text.lines().any(|l| l.trim() == format!("name = \"{name}\""));
        if !locked {
            return LockProblem::Mismatch(format!(
                "  Cargo.lock has no package `{name}`, which a manifest requires\n{text}"
            ));
        }
        return LockProblem::Unreachable(text);
    }
    const CACHE_OR_NETWORK: &[&str] = &[
        "--offline",
        "offline mode",
        "failed to download",
        "failed to get",
        "failed to fetch",
        "failed to load source for dependency",
        "failed to query replaced source",
        "download of ",
        "Couldn't resolve host",
        "network failure",
        "failed to update",
        "spurious network error",
    ];
    if CACHE_OR_NETWORK.iter().any(|needle| stderr.contains(needle)) {
        return LockProblem::Unreachable(text);
    }
    LockProblem::Failed(text)
}

/// The package of cargo's "no matching package named `NAME` found".
fn missing_package(stderr: &str) -> Option<&str> {
    let rest = stderr.split("no matching package named `").nth(1)?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "[[package]]\nname = \"anyhow\"\nversion = \"1.0.0\"\n";

    #[test]
    fn a_refused_update_is_a_mismatch_with_cargos_reasons() {
        let stderr = "     Locking 1 package to latest compatible version\n    Updating a v0.1.0 (/w/a) -> v0.2.0\n\
                      error: cannot update the lock file /w/Cargo.lock because --locked was passed to prevent this\n";
        let LockProblem::Mismatch(why) = classify(stderr, LOCK) else { panic!() };
        assert!(why.contains("Updating a v0.1.0 (/w/a) -> v0.2.0"), "{why}");
    }

    #[test]
    fn a_package_missing_from_the_lock_file_is_a_mismatch_even_offline() {
        let stderr = "error: no matching package named `left-out` found\nlocation searched: crates.io index\n\
                      As a reminder, you're using offline mode (--offline) which can sometimes cause surprising resolution failures";
        let LockProblem::Mismatch(why) = classify(stderr, LOCK) else { panic!() };
        assert!(why.contains("Cargo.lock has no package `left-out`"), "{why}");
    }

    #[test]
    fn a_locked_package_missing_from_the_cache_is_a_cache_problem() {
        let stderr = "error: no matching package named `anyhow` found\nlocation searched: crates.io index\n\
                      As a reminder, you're using offline mode (--offline)";
        assert!(matches!(classify(stderr, LOCK), LockProblem::Unreachable(_)));
        let stderr = "error: failed to download `r-efi v5.3.0`\n\nCaused by:\n  attempting to make an HTTP request, but --offline was specified";
        assert!(matches!(classify(stderr, LOCK), LockProblem::Unreachable(_)));
        let message = classify(stderr, LOCK).message("Cargo.lock");
        assert!(
            message.contains("not a lock file that does not match") && message.contains("cargo fetch"),
            "{message}"
        );
    }

    #[test]
    fn a_failure_keeps_cargos_error_and_not_its_progress() {
        let text = "   Compiling a v0.1.0\nwarning: unused\nerror[E0425]: cannot find value `x`\n --> src/lib.rs:1:1\n\n\
                    error: could not compile `a`\n";
        let kept = last_relevant(text);
        assert!(kept.starts_with("  error[E0425]") && kept.ends_with("  error: could not compile `a`"), "{kept}");
        assert!(!kept.contains("Compiling") && !kept.contains("\n\n"), "{kept}");
        let long: String = (0..30).map(|i| format!("line {i}\n")).collect();
        let kept = last_relevant(&long);
        assert!(kept.starts_with("  line 10\n") && kept.ends_with("line 29"), "{kept}");
    }

    #[test]
    fn a_broken_manifest_is_neither() {
        let stderr = "error: duplicate key\n --> xtask/Cargo.toml:10:2\n";
        assert!(matches!(classify(stderr, LOCK), LockProblem::Failed(_)));
    }
}

/// Whether `cargo publish` takes several `-p` in one run (cargo 1.90 and later), from
/// `cargo --version`; an unreadable version counts as an older cargo, which is only slower.
pub fn publishes_several(sh: &Shell) -> bool {
    several_from_version(&version(sh).unwrap_or_default())
}

/// `cargo --version`: which cargo (and so which toolchain) runs.
pub fn version(sh: &Shell) -> Option<String> {
    command(sh).arg("--version").quiet().ignore_stderr().read().ok()
}

fn several_from_version(text: &str) -> bool {
    let number = text.split_whitespace().nth(1).unwrap_or_default();
    let mut parts = number.split(['.', '-']).map(|p| p.parse::<u64>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (1, 90),
        _ => false,
    }
}

#[cfg(test)]
mod several_tests {
    #[test]
    fn several_packages_from_cargo_1_90() {
        assert!(super::several_from_version("cargo 1.95.0 (f2d3ce0bd 2026-03-21)"));
        assert!(super::several_from_version("cargo 1.90.0-nightly (abc 2025-07-01)"));
        assert!(!super::several_from_version("cargo 1.89.0 (c24e10642 2025-06-23)"));
        assert!(!super::several_from_version("not cargo"));
    }
}

#[cfg(test)]
mod secret_tests {
    #[test]
    fn registry_and_github_tokens_are_secrets_and_nothing_else() {
        for name in ["CARGO_REGISTRY_TOKEN", "CARGO_REGISTRIES_LOCAL_TOKEN", "CARGO_REGISTRIES_MY_CORP_TOKEN"] {
            assert!(super::is_secret(name), "{name}");
        }
        assert!(super::is_secret("GITHUB_TOKEN") && super::is_secret("GH_TOKEN"));
        for name in ["CARGO_REGISTRIES_LOCAL_INDEX", "CARGO_REGISTRY_DEFAULT", "CARGO_HOME", "TOKEN", "CARGO_TOKEN"] {
            assert!(!super::is_secret(name), "{name}");
        }
    }
}

#[cfg(test)]
mod one_way_to_cargo {
    /// Every cargo the engine starts goes through `command` or `authenticated`: no source
    /// file names cargo as a program of its own (`bin` is private, so only a literal could).
    #[test]
    fn no_module_starts_cargo_by_name() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![src];
        let mut checked = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("ops/cargo.rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for line in text.lines().filter(|l| l.contains("cmd!(") || l.contains("Command::new(")) {
                        assert!(
                            !line.contains("\"cargo") && !line.contains("{cargo}"),
                            "{} starts cargo itself: {line}",
                            path.display()
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 50, "only {checked} files read");
    }
}

//! The GitHub Actions workflows: linted by actionlint and zizmor with zero findings, every
//! `run:` step a `cargo xtask` call the CLI accepts (or a command from a short list), and
//! every action pinned to a full commit SHA.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser as _;
use support::workflow::{job, run_commands, shell_words};

/// Commands a `run:` step may hold besides `cargo xtask ...`: the checks CI runs on the
/// code itself (the build with the declared rust-version among them), and the README's
/// test command.
const ALLOWED: &[&str] = &[
    "cargo fmt --check",
    "cargo clippy --all-targets -- -D warnings",
    "cargo check --workspace --locked",
    "scripts/test.sh",
    "cargo build --package xtask --locked",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn workflows() -> Vec<(String, String)> {
    ["ci.yml", "release.yml"]
        .iter()
        .map(|name| {
            let path = repo_root().join(".github/workflows").join(name);
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            (name.to_string(), text)
        })
        .collect()
}

/// A linter run in the repository root with no GitHub credentials in reach.
fn lint(tool: &str, args: &[&str]) -> support::Run {
    let mut cmd = Command::new(support::tool(tool));
    cmd.args(args).current_dir(repo_root());
    for key in ["GITHUB_TOKEN", "GH_TOKEN", "ZIZMOR_GITHUB_TOKEN"] {
        cmd.env_remove(key);
    }
    support::run(cmd)
}

#[test]
fn actionlint_finds_nothing() {
    let run = lint("actionlint", &["-no-color", ".github/workflows/ci.yml", ".github/workflows/release.yml"]);
    assert_eq!(run.code, 0, "actionlint has findings\n{run}");
    assert_eq!(run.stdout.trim(), "", "{run}");
}

#[test]
fn zizmor_finds_nothing() {
    let run = lint("zizmor", &["--offline", "--no-progress", "--format", "json", ".github/workflows"]);
    assert_eq!(run.code, 0, "zizmor has findings\n{run}");
    let findings: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{run}"));
    assert_eq!(findings, serde_json::json!([]), "{run}");
}

/// The auditor persona reports what the regular one leaves out as possible false
/// positives (e.g. a secret outside a GitHub environment); nothing at medium or above.
#[test]
fn zizmor_as_auditor_finds_nothing_at_medium_or_above() {
    let args = ["--offline", "--no-progress", "--persona", "auditor", "--min-severity", "medium", "--format", "json"];
    let run = lint("zizmor", &[&args[..], &[".github/workflows"]].concat());
    assert_eq!(run.code, 0, "zizmor (auditor) has findings\n{run}");
    let findings: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}\n{run}"));
    assert_eq!(findings, serde_json::json!([]), "{run}");
}

/// The release job's order and the publish job's isolation, which the linters cannot see.
#[test]
fn release_workflow_verifies_before_it_writes_and_isolates_the_token() {
    let (_, text) = workflows().into_iter().find(|(name, _)| name == "release.yml").unwrap();
    let commands = run_commands(&text);
    let at = |step: &str| commands.iter().position(|c| c.starts_with(step)).unwrap_or_else(|| panic!("no `{step}`"));
    assert!(at("cargo xtask checksum --verify dist") < at("cargo xtask checksum dist --sums"));
    assert!(at("cargo build --package xtask") < at("cargo xtask publish-ordered --execute"));
    assert!(commands.iter().any(|c| c.contains("check-version") && c.contains("--on-release-branch")));

    let publish = job(&text, "publish");
    assert!(publish.contains("\n    environment: release\n"), "{publish}");
    assert!(!job(&text, "release").contains("CARGO_REGISTRY_TOKEN"));
    assert_eq!(text.matches("secrets.").count(), 1, "one secret, in one step");
    let steps: Vec<&str> = publish.split("\n      - ").collect();
    let with_token: Vec<&&str> = steps.iter().filter(|s| s.contains("CARGO_REGISTRY_TOKEN")).collect();
    assert_eq!(with_token.len(), 1, "{publish}");
    assert!(
        with_token[0].contains("run: cargo xtask publish-ordered --execute --require-verified"),
        "{}",
        with_token[0]
    );
    // Every crate is built (verified) in a step before the token's, which compiles nothing.
    let at = |step: &str| steps.iter().position(|s| s.contains(step)).unwrap_or_else(|| panic!("no `{step}`"));
    let token_step = at("CARGO_REGISTRY_TOKEN");
    assert!(at("run: cargo build --package xtask --locked") < token_step, "{publish}");
    assert!(at("run: cargo xtask publish-ordered --verify") < token_step, "{publish}");

    assert!(text.contains("concurrency:\n  group: release\n"), "one concurrency group for every release");
}

/// Each job that executes steps keeps its audit trail as an artifact, also when it fails.
#[test]
fn release_jobs_that_execute_upload_their_audit_trail() {
    let (_, text) = workflows().into_iter().find(|(name, _)| name == "release.yml").unwrap();
    for name in ["build", "publish", "release", "verify"] {
        let job = job(&text, name);
        let upload = job
            .split("\n      - ")
            .find(|s| s.contains("target/xtask-release/audit.jsonl"))
            .unwrap_or_else(|| panic!("the {name} job does not upload its audit trail:\n{job}"));
        assert!(upload.contains("if: always()"), "{upload}");
        assert!(upload.contains("uses: actions/upload-artifact@"), "{upload}");
        assert!(job.contains("--execute") || job.contains("verify-published"), "{name} executes nothing");
    }
    assert!(!job(&text, "plan").contains("audit.jsonl"), "the plan job only runs dry runs");
}

/// The release job's checksum steps, run as written on a `dist` directory as the build
/// runners leave it (each asset with a `.sha256` from the real `sha256sum`): an asset
/// changed on the way fails them before the combined sums file is written. (GNU
/// sha256sum: Linux only.)
#[test]
#[cfg(target_os = "linux")]
fn the_release_jobs_checksum_steps_catch_an_asset_changed_after_its_build() {
    let (_, text) = workflows().into_iter().find(|(name, _)| name == "release.yml").unwrap();
    let steps: Vec<Vec<String>> = run_commands(&job(&text, "release"))
        .iter()
        .map(|c| shell_words(c))
        .filter(|w| w.len() > 2 && w[2] == "checksum")
        .collect();
    assert!(steps.len() >= 2, "{steps:?}");
    let run_steps = |dir: &Path| -> Vec<support::Run> {
        let mut runs = Vec::new();
        for words in &steps {
            let mut cmd = Command::new(support::BIN);
            cmd.args(&words[2..]).current_dir(dir).env_remove("GITHUB_ACTIONS");
            let run = support::run(cmd);
            let failed = run.code != 0;
            runs.push(run);
            if failed {
                break;
            }
        }
        runs
    };
    let built = |corrupt: bool| {
        let tmp = tempfile::tempdir().unwrap();
        let dist = tmp.path().join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        for (name, bytes) in
            [("tool-x86_64-unknown-linux-gnu.tar.gz", "linux"), ("tool-x86_64-pc-windows-msvc.zip", "win")]
        {
            std::fs::write(dist.join(name), bytes).unwrap();
            let sum = Command::new("sha256sum").arg(name).current_dir(&dist).output().unwrap();
            assert!(sum.status.success());
            std::fs::write(dist.join(format!("{name}.sha256")), sum.stdout).unwrap();
        }
        if corrupt {
            std::fs::write(dist.join("tool-x86_64-pc-windows-msvc.zip"), "changed on the way").unwrap();
        }
        tmp
    };

    let good = built(false);
    let runs = run_steps(good.path());
    assert!(runs.iter().all(|r| r.code == 0), "{runs:#?}");
    assert!(good.path().join("dist/SHA256SUMS").exists(), "{runs:#?}");

    let bad = built(true);
    let runs = run_steps(bad.path());
    let last = runs.last().unwrap();
    assert_eq!(last.code, 1, "{runs:#?}");
    assert!(last.stdout.contains("tool-x86_64-pc-windows-msvc.zip: FAILED"), "{last}");
    assert!(!bad.path().join("dist/SHA256SUMS").exists(), "the sums file was written from changed bytes");
}

#[test]
fn every_run_step_is_an_xtask_call_the_cli_accepts() {
    let mut xtask_calls = 0;
    for (file, text) in workflows() {
        let commands = run_commands(&text);
        assert!(!commands.is_empty(), "{file} has no run steps");
        for command in commands {
            assert!(
                !command.contains("${{"),
                "{file}: an expression inside `run:` ({command}); pass it through `env:`"
            );
            if ALLOWED.contains(&command.as_str()) {
                continue;
            }
            let words = shell_words(&command);
            assert!(
                words.len() > 2 && words[0] == "cargo" && words[1] == "xtask",
                "{file}: `{command}` is neither `cargo xtask ...` nor an allowed setup command"
            );
            let args = std::iter::once("xtask-release".to_string()).chain(words[2..].iter().cloned());
            if let Err(err) = xtask_release::Cli::try_parse_from(args) {
                panic!("{file}: `{command}` is not a valid call of the CLI:\n{err}");
            }
            xtask_calls += 1;
        }
    }
    assert!(xtask_calls >= 8, "only {xtask_calls} xtask calls found; is the run-step reader missing some?");
}

#[test]
fn release_workflow_runs_the_release_steps() {
    let (_, text) = workflows().into_iter().find(|(name, _)| name == "release.yml").unwrap();
    let commands = run_commands(&text).join("\n");
    for step in [
        "cargo xtask check-version --tag",
        "cargo xtask build-matrix --github-output",
        "scripts/test.sh",
        "cargo xtask publish-ordered --execute",
        "cargo xtask dist --target \"$TARGET\"",
        "cargo xtask checksum --verify dist",
        "cargo xtask checksum dist --sums dist/SHA256SUMS --execute",
        "cargo xtask verify-assets dist",
        "cargo xtask github-release --tag \"$TAG\" --assets dist --execute",
    ] {
        assert!(commands.contains(step), "release.yml does not run `{step}`:\n{commands}");
    }
    assert!(text.contains("\n  contents: read\n"), "the workflow's default permissions must be read-only");
    assert_eq!(text.matches("contents: write").count(), 1, "only the release job may write");
}

#[test]
fn every_action_is_pinned_to_a_commit_with_its_version_noted() {
    for (file, text) in workflows() {
        for line in text.lines().filter(|l| l.trim_start().trim_start_matches("- ").starts_with("uses:")) {
            let spec = line.split("uses:").nth(1).unwrap().trim();
            let (action, rest) = spec.split_once('@').unwrap_or_else(|| panic!("{file}: `{line}` has no ref"));
            let (sha, comment) = rest.split_once(" # ").unwrap_or((rest, ""));
            assert!(
                sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()),
                "{file}: {action} is not pinned to a full commit SHA"
            );
            assert!(!comment.trim().is_empty(), "{file}: {action} has no version comment");
        }
    }
}

#[test]
fn the_run_step_reader_reads_plain_quoted_and_block_steps() {
    let yaml = "steps:\n  - run: cargo xtask a\n  - name: x\n    run: \"cargo xtask b\"\n  - run: |\n      cargo xtask c\n\n      # why\n      cargo xtask d --x \"$Y z\"\n  - uses: foo\n";
    assert_eq!(run_commands(yaml), ["cargo xtask a", "cargo xtask b", "cargo xtask c", "cargo xtask d --x \"$Y z\""]);
    assert_eq!(shell_words("cargo xtask d --x \"$Y z\" ''"), ["cargo", "xtask", "d", "--x", "$Y z", ""]);
}

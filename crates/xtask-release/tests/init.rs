//! `init` on repositories of three shapes (a lockstep workspace, a root package with
//! nested standalone crates, a big lockstep workspace with prefix-less tags, a git
//! dependency and cargo-release's table): the dry run is a diff that changes nothing,
//! `--execute` writes a setup under which `cargo xtask check-version` and `build-matrix`
//! pass for real, a second run changes nothing, and a file init did not write is never
//! overwritten. This repository's own workflows follow init's templates.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::workflow::{self, shell_words};
use support::{Fixture, Run, assert_same_files, fixture};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn init(fixture: &Fixture, execute: bool) -> Run {
    let root = repo_root();
    let mut args = vec!["init", "--dependency-path", root.to_str().unwrap()];
    if execute {
        args.push("--execute");
    }
    init_with(fixture, &args)
}

/// `xtask-release ARGS` offline: init's lock check never reaches for the network here.
fn init_with(fixture: &Fixture, args: &[&str]) -> Run {
    let mut cmd = fixture.command(args);
    cmd.env("CARGO_NET_OFFLINE", "true");
    support::run(cmd)
}

/// The `name = ... version = ...` of every package in a Cargo.lock.
fn locked_versions(lock: &str) -> Vec<String> {
    lock.split("[[package]]").skip(1).map(|p| p.lines().take(3).collect::<Vec<_>>().join("\n")).collect()
}

/// `cargo <args>` in the fixture, offline (every crate the xtask needs is in the local
/// cache), with one target dir shared by all shapes so xtask-release builds once.
fn cargo(fixture: &Fixture, args: &[&str]) -> Run {
    cargo_with(fixture, args, &[])
}

fn cargo_with(fixture: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.envs(env.iter().copied());
    cmd.args(args).current_dir(&fixture.root);
    fixture.env(&mut cmd);
    cmd.env("CARGO_TARGET_DIR", Path::new(env!("CARGO_TARGET_TMPDIR")).join("init-xtask"));
    cmd.env("CARGO_NET_OFFLINE", "true").env_remove("RUSTFLAGS");
    support::run(cmd)
}

/// The workflows init wrote, run as GitHub would run them on `tag`, as far as they can
/// run here: actionlint finds nothing, and every `run:` step runs for real against the
/// fixture (`--execute` left out: a dry run), except the checks of the code itself (fmt,
/// clippy, the tests) and the steps that need an earlier job's artifacts, the registry
/// (publish-ordered, tested against a local one in tests/publish.rs) or GitHub. A step
/// that GitHub would skip because nothing is built (`builds` is false) is not reached.
/// As on GitHub, they run on a checkout of the tag: what init wrote is committed and
/// tagged first. Returns the commands reached and the commands that ran.
fn run_written_workflows(fixture: &Fixture, tag: &str, builds: bool) -> (Vec<String>, Vec<String>) {
    fixture.git(&["add", "-A"]);
    fixture.git(&["commit", "--quiet", "--allow-empty", "-m", "adopt xtask-release"]);
    fixture.git(&["tag", "--force", tag]);
    fixture.git(&["push", "--quiet", "origin", "HEAD"]);
    let mut files: Vec<String> = std::fs::read_dir(fixture.path(".github/workflows"))
        .unwrap()
        .map(|e| format!(".github/workflows/{}", e.unwrap().file_name().to_str().unwrap()))
        .filter(|f| fixture.read(f).contains("Written by xtask-release init"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "init wrote two workflows: {files:?}");
    let mut cmd = Command::new(support::tool("actionlint"));
    cmd.arg("-no-color").args(&files).current_dir(&fixture.root);
    let run = support::run(cmd);
    assert!(run.code == 0 && run.stdout.trim().is_empty(), "actionlint has findings\n{run}");

    let output = fixture.tmp.path().join("github-output");
    let (mut reached, mut ran) = (Vec::new(), Vec::new());
    for file in &files {
        for step in workflow::steps(&fixture.read(file)) {
            let conditions = [&step.job_if, &step.step_if];
            let skipped = conditions
                .iter()
                .filter_map(|c| c.as_deref())
                .any(|c| (c.contains("builds == 'true'") && !builds) || (c.contains("builds != 'true'") && builds));
            for command in &step.commands {
                let words = shell_words(command);
                let runs_here = match words.get(..2) {
                    Some([cargo, xtask]) if cargo == "cargo" && xtask == "xtask" => {
                        // Inputs from the build jobs' artifacts (`dist`), or the registry and
                        // GitHub (verify-published), are not here.
                        !matches!(
                            words[2].as_str(),
                            "checksum" | "verify-assets" | "verify-published" | "publish-ordered"
                        ) && !words.iter().any(|w| w == "--assets")
                    }
                    _ => words.get(..2) == Some(&["cargo".to_string(), "build".to_string()]),
                };
                if skipped {
                    continue;
                }
                reached.push(command.clone());
                if !runs_here {
                    continue;
                }
                let env: Vec<(&str, &str)> = [("TAG", tag), ("TARGET", "x86_64-unknown-linux-gnu")]
                    .into_iter()
                    .chain([("GITHUB_OUTPUT", output.to_str().unwrap()), ("GITHUB_REPOSITORY", "acme/fixture")])
                    .collect();
                let args: Vec<String> = words[1..]
                    .iter()
                    // `--require-verified` goes only with `--execute`.
                    .filter(|w| !matches!(w.as_str(), "--execute" | "--require-verified"))
                    .map(|w| env.iter().fold(w.clone(), |w, (k, v)| w.replace(&format!("${k}"), v)))
                    .collect();
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let run = cargo_with(fixture, &args, &env);
                assert_eq!(run.code, 0, "{file}, job {}: `{command}` fails\n{run}", step.job);
                ran.push(command.clone());
            }
        }
    }
    let written = std::fs::read_to_string(&output).unwrap_or_default();
    assert!(written.contains(&format!("builds={builds}\n")), "{written}");
    (reached, ran)
}

/// Dry run, execute, the xtask's commands for real, then a second run that changes
/// nothing. Returns the root Cargo.toml init wrote.
fn adopt(fixture: &Fixture, tag: &str, shipped: &str, left_home: &str) -> String {
    let before = fixture.snapshot();
    let run = init(fixture, false).ok();
    assert!(run.stdout.contains("+++ b/xtask/Cargo.toml") && run.stdout.contains("+++ b/Cargo.toml"), "{run}");
    assert!(run.stderr.contains("dry run; pass --execute"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    init(fixture, true).ok();
    for file in ["xtask/Cargo.toml", "xtask/src/main.rs", ".github/workflows/ci.yml", ".github/workflows/release.yml"] {
        assert!(fixture.path(file).is_file(), "{file} was not written");
    }

    let run = cargo(fixture, &["xtask", "check-version", "--tag", tag]).ok();
    assert!(run.stderr.contains(&format!("tag {tag}: they agree")), "{run}");
    let run = cargo(fixture, &["xtask", "build-matrix"]).ok();
    assert!(run.stdout.contains(shipped), "{run}");
    assert!(!run.stdout.contains(left_home), "{run}");
    let (_, ran) = run_written_workflows(fixture, tag, true);
    for step in
        ["cargo build", "cargo xtask check-version --tag", "cargo xtask dist --target", "cargo xtask github-release"]
    {
        assert!(ran.iter().any(|c| c.starts_with(step)), "`{step}` did not run: {ran:#?}");
    }

    let after = fixture.snapshot();
    let run = init(fixture, true).ok();
    assert!(run.stderr.contains("nothing to do"), "{run}");
    assert!(!run.stderr.contains("Created") && !run.stderr.contains("Updated"), "{run}");
    let mut again = fixture.snapshot();
    again.retain(|path, _| after.contains_key(path));
    assert_same_files(&after, &again);
    fixture.read("Cargo.toml")
}

#[test]
fn adopts_three_shapes_of_repository() {
    // A lockstep workspace with `v` tags and an existing .cargo/config.toml to merge into.
    let lockstep = fixture("lockstep");
    lockstep.write(".cargo/config.toml", "[build]\nincremental = true\n");
    lockstep.git(&["add", "-A"]);
    lockstep.git(&["commit", "--quiet", "-m", "cargo config"]);
    lockstep.git(&["tag", "v0.1.0"]);
    let manifest = adopt(&lockstep, "v0.1.0", "acme-proxy-0.1.0-linux-amd64", "\"acme-core");
    assert!(manifest.contains("members = [\"crates/*\", \"xtask\"]"), "{manifest}");
    assert!(manifest.contains("[workspace.metadata.xtask-release]\nextra-files"), "ours was kept as it was");
    let config = lockstep.read(".cargo/config.toml");
    assert_eq!(config, "[build]\nincremental = true\n\n[alias]\nxtask = \"run --package xtask --\"\n");

    // A root package with nested standalone crates: configured in package metadata, the
    // xtask a workspace of its own, and the nested crates still standalone.
    let single = fixture("single-nested");
    let manifest = single.read("Cargo.toml");
    single.write("Cargo.toml", &manifest[..manifest.find("# Not a workspace").unwrap()]);
    single.git(&["commit", "--quiet", "-am", "before init"]);
    single.git(&["tag", "v2.3.0"]);
    let manifest = adopt(&single, "v2.3.0", "ripple-2.3.0-linux-amd64", "ripple-schema");
    assert!(!manifest.contains("[workspace"), "{manifest}");
    assert!(
        manifest.contains("[package.metadata.xtask-release]\ntag-prefix = \"v\"\nbranch = \"main\"\n"),
        "{manifest}"
    );
    assert!(manifest.contains("bins = [\n    { package = \"ripple\", bin = \"ripple\" },\n]"), "{manifest}");
    assert!(single.read("xtask/Cargo.toml").contains("\n[workspace]\n"));
    assert!(single.read(".cargo/config.toml").contains("xtask = \"run --manifest-path xtask/Cargo.toml --\""));
    for nested in ["tools/codegen/Cargo.toml", "fuzz/Cargo.toml"] {
        cargo(&single, &["metadata", "--no-deps", "--format-version", "1", "--manifest-path", nested]).ok();
    }

    // A big lockstep workspace: prefix-less tags, a git dependency (a local bare repo),
    // no changelog key, and cargo-release's table translated.
    let big = fixture("big-lockstep");
    let gitdep = git_dependency(&big);
    big.write("Cargo.toml", &big.read("Cargo.toml").replace("GITDEP_URL", &gitdep));
    cargo(&big, &["generate-lockfile", "--config", "net.offline=false"]).ok();
    big.git(&["add", "-A"]);
    big.git(&["commit", "--quiet", "-m", "lock"]);
    big.git(&["tag", "0.114.0", "HEAD~1"]);
    big.git(&["tag", "0.115.0"]);
    let manifest = adopt(&big, "0.115.0", "\"nova-0.115.0-linux-amd64\"", "nova-gen");
    assert!(manifest.contains("members = [\"crates/*\", \"tools/*\", \"xtask\"]"), "{manifest}");
    for line in [
        "[workspace.metadata.xtask-release]\ntag-prefix = \"\"\n",
        "commit-message = \"chore: release {version}\"  # from cargo-release's `pre-release-commit-message`\n",
        "# cargo-release's `sign-tag` is not translated: ",
    ] {
        assert!(manifest.contains(line), "missing {line:?} in\n{manifest}");
    }
    assert!(manifest.contains("[workspace.metadata.release]\nshared-version = true"), "theirs was kept");
    assert!(big.read(".github/workflows/release.yml").contains("      - \"[0-9]*\"\n"));
}

/// A bare repository holding a `gitdep` crate, as a `file://` URL.
fn git_dependency(fixture: &Fixture) -> String {
    let work = fixture.tmp.path().join("gitdep");
    std::fs::create_dir_all(work.join("src")).unwrap();
    std::fs::write(work.join("Cargo.toml"), "[package]\nname = \"gitdep\"\nversion = \"0.3.0\"\nedition = \"2021\"\n")
        .unwrap();
    std::fs::write(work.join("src/lib.rs"), "pub fn g() {}\n").unwrap();
    fixture.git_in(&work, &["init", "--quiet"]);
    fixture.git_in(&work, &["add", "-A"]);
    fixture.git_in(&work, &["commit", "--quiet", "-m", "gitdep"]);
    let bare = fixture.tmp.path().join("gitdep.git");
    fixture.git_in(fixture.tmp.path(), &["clone", "--quiet", "--bare", work.to_str().unwrap(), bare.to_str().unwrap()]);
    format!("file://{}", bare.display())
}

/// An established repository's own workflows stay: init's go beside them under names
/// of their own, it says how to call the steps from the project's workflows instead, and
/// what it writes there runs. A file init did not write is never overwritten.
#[test]
fn adopting_keeps_the_project_s_own_workflows() {
    let fixture = fixture("lockstep");
    fixture.write(".github/workflows/ci.yml", "name: our own CI\n");
    fixture.write(".github/workflows/release.yml", "name: our own release\n");
    fixture.write(".cargo/config.toml", "[alias]\nxtask = \"run -p tasks --\"\n");
    fixture.git(&["add", "-A"]);
    fixture.git(&["commit", "--quiet", "-m", "our own CI"]);
    fixture.git(&["tag", "v0.1.0"]);
    fixture.git(&["push", "--quiet", "origin", "HEAD"]);
    let before = fixture.snapshot();
    let run = init(&fixture, true).fails(1);
    assert!(run.stderr.contains(".cargo/config.toml has an `xtask` alias already (\"run -p tasks --\")"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    fixture.write(".cargo/config.toml", "");
    let run = init(&fixture, true).ok();
    for line in [
        "note: .github/workflows/ci.yml is your own and stays; init's goes beside it as \
         .github/workflows/xtask-release-ci.yml",
        "warning: .github/workflows/release.yml and .github/workflows/xtask-release.yml both run on a tag push",
    ] {
        assert!(run.stderr.contains(line), "no {line:?}\n{run}");
    }
    assert!(run.stdout.contains("To run the release from your own workflows instead"), "{run}");
    assert!(run.stdout.contains("cargo xtask publish-ordered --execute --require-verified"), "{run}");
    assert_eq!(fixture.read(".github/workflows/ci.yml"), "name: our own CI\n");
    assert_eq!(fixture.read(".github/workflows/release.yml"), "name: our own release\n");
    run_written_workflows(&fixture, "v0.1.0", true);

    // A second run keeps them where they went.
    let run = init(&fixture, true).ok();
    assert!(run.stderr.contains("nothing to do"), "{run}");

    // A file init wrote and someone edited since is kept as it is.
    let edited = fixture.read(".github/workflows/xtask-release-ci.yml").replace("name: CI", "name: Checks");
    fixture.write(".github/workflows/xtask-release-ci.yml", &edited);
    let run = init(&fixture, true).ok();
    assert!(
        run.stderr.contains("Keeping .github/workflows/xtask-release-ci.yml (written by init, edited since)"),
        "{run}"
    );
    assert_eq!(fixture.read(".github/workflows/xtask-release-ci.yml"), edited);

    // A file of init's own name that init did not write stops it before anything is written.
    fixture.write(".github/workflows/xtask-release.yml", "name: something else\n");
    let before = fixture.snapshot();
    let run = init(&fixture, true).fails(1);
    assert!(
        run.stderr.contains(
            ".github/workflows/xtask-release.yml already exists and xtask-release init did not write it; move it aside"
        ),
        "{run}"
    );
    assert_same_files(&before, &fixture.snapshot());
}

/// `--no-workflows` writes none and says how to call the steps from the project's own.
#[test]
fn no_workflows_writes_none_and_says_how_to_call_the_steps() {
    let fixture = fixture("lockstep");
    let root = repo_root();
    let run = fixture.run(&["init", "--dependency-path", root.to_str().unwrap(), "--no-workflows", "--execute"]).ok();
    assert!(run.stdout.contains("To run the release from your own workflows instead"), "{run}");
    assert!(!fixture.path(".github").exists(), "{run}");
    assert!(fixture.path("xtask/Cargo.toml").is_file());
}

#[test]
fn this_repository_s_workflows_follow_init_s_templates() {
    // The templates with this repository's values (tag prefix `v`, its test script) are
    // its own workflows, byte for byte; init adds only its mark on top.
    let fixture = fixture("lockstep");
    let ours = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let rust_version = ours.lines().find(|l| l.starts_with("rust-version = ")).unwrap();
    let manifest =
        fixture.read("Cargo.toml").replace("[workspace.package]\n", &format!("[workspace.package]\n{rust_version}\n"));
    fixture.write("Cargo.toml", &manifest);
    init(&fixture, true).ok();
    for name in ["ci.yml", "release.yml"] {
        let ours = std::fs::read_to_string(repo_root().join(".github/workflows").join(name)).unwrap();
        let generated = fixture.read(&format!(".github/workflows/{name}"));
        let generated = generated.split_once('\n').unwrap().1.replace("cargo test --workspace", "scripts/test.sh");
        assert_eq!(generated, ours, "{name} differs from init's template; change both together");
    }
}

/// A library-only workspace (serde's shape, with an unpublished test suite that has a
/// binary): `build-matrix` is an empty matrix, not an error, and the release workflow
/// init writes skips its build and asset steps and still publishes and creates the
/// release; `dist` says there is nothing to build.
#[test]
fn a_library_only_workspace_adopts_and_its_release_workflow_builds_nothing() {
    let fixture = fixture("library-only");
    let locked = fixture.read("Cargo.lock");
    fixture.git(&["tag", "v1.4.0"]);
    let run = init(&fixture, true).ok();
    assert!(run.stdout.contains("shipping no binaries"), "{run}");
    assert!(!fixture.read("Cargo.toml").contains(".dist]"), "no bins to list");
    assert!(!fixture.path(".gitignore").exists(), "nothing to ignore: no assets, the xtask a member");

    let run = cargo(&fixture, &["xtask", "build-matrix"]).ok();
    assert_eq!(run.stdout, "{\"include\":[]}\n", "{run}");
    assert!(run.stderr.contains("nothing to build: no published package has a binary"), "{run}");
    let run = cargo(&fixture, &["xtask", "build-matrix", "--format", "text"]).ok();
    assert!(!run.stdout.contains("lumen-test-suite"), "{run}");

    let (reached, ran) = run_written_workflows(&fixture, "v1.4.0", false);
    for step in [
        "cargo xtask check-version --tag \"$TAG\" --on-release-branch",
        "cargo xtask build-matrix --github-output",
        "cargo build --package xtask --locked",
        "cargo xtask github-release --tag \"$TAG\" --execute",
    ] {
        assert!(ran.iter().any(|c| c == step), "`{step}` did not run: {ran:#?}");
    }
    for step in ["cargo xtask publish-ordered --verify", "cargo xtask publish-ordered --execute --require-verified"] {
        assert!(reached.iter().any(|c| c == step), "`{step}` is skipped: {reached:#?}");
    }
    for skipped in ["xtask dist", "checksum", "verify-assets", "--assets"] {
        assert!(!reached.iter().any(|c| c.contains(skipped)), "{reached:#?}");
    }

    // The xtask is a member, and every version Cargo.lock held (serde 1.0.228, older than
    // the newest) is still locked after it built: xtask-release's floors allow it.
    assert!(fixture.read("Cargo.toml").contains("\"test-suite\", \"xtask\"]"));
    let now = fixture.read("Cargo.lock");
    for package in locked_versions(&locked) {
        assert!(now.contains(&package), "{package} is no longer locked:\n{now}");
    }
    assert!(now.contains("name = \"xtask-release\""), "{now}");

    let before = fixture.snapshot();
    let run = cargo(&fixture, &["xtask", "dist", "--target", "x86_64-unknown-linux-gnu", "--execute"]).fails(1);
    assert!(run.stderr.contains("nothing to build: no published package has a binary"), "{run}");
    assert_same_files(&before, &fixture.snapshot());
}

/// A workspace pinning a dependency we also use to an older minor (`ureq = "~3.3.0"`):
/// the xtask cannot share its Cargo.lock, so it becomes a workspace of its own (its own
/// lock, the alias through `--manifest-path`, `exclude`d from the product's), init says
/// why, and the product's Cargo.lock stays byte for byte.
#[test]
fn a_pinned_dependency_that_conflicts_with_ours_keeps_the_xtask_apart() {
    let fixture = fixture("pinned-dependency");
    let locked = fixture.read("Cargo.lock");
    let before = fixture.snapshot();
    let run = init(&fixture, false).ok();
    assert!(run.stderr.contains("note: the xtask is a workspace of its own (its own Cargo.lock"), "{run}");
    assert!(
        run.stderr.contains("cargo cannot resolve the xtask's dependencies together with the workspace's"),
        "{run}"
    );
    assert_same_files(&before, &fixture.snapshot());

    init(&fixture, true).ok();
    assert_eq!(fixture.read("Cargo.lock"), locked);
    let manifest = fixture.read("Cargo.toml");
    assert!(manifest.contains("members = [\"crates/*\"]\n"), "{manifest}");
    assert!(manifest.contains("exclude = [\"xtask\"]"), "{manifest}");
    assert!(fixture.read("xtask/Cargo.toml").contains("\n[workspace]\n"));
    assert!(fixture.read(".cargo/config.toml").contains("xtask = \"run --manifest-path xtask/Cargo.toml --\""));
    // The assets and the xtask's own build folder are ignored: no untracked file after a build.
    assert!(fixture.read(".gitignore").ends_with("\n/dist/\n/xtask/target/\n"), "{}", fixture.read(".gitignore"));
    let release = fixture.read(".github/workflows/release.yml");
    assert!(release.contains("run: cargo build --manifest-path xtask/Cargo.toml --locked"), "{release}");

    // The xtask resolves on its own, and the product's lock is still untouched.
    cargo(&fixture, &["metadata", "--format-version", "1", "--manifest-path", "xtask/Cargo.toml"]).ok();
    assert_eq!(fixture.read("Cargo.lock"), locked);
    let run = init(&fixture, true).ok();
    assert!(run.stderr.contains("nothing to do"), "{run}");
}

/// `--dependency-path` that names no checkout of xtask-release fails naming the path,
/// dry run and `--execute` alike, and writes nothing.
#[test]
fn a_dependency_path_that_is_no_checkout_is_refused_naming_it() {
    let fixture = fixture("single-crate");
    let before = fixture.snapshot();
    for args in [
        &["init", "--dependency-path", "/nonexistent"][..],
        &["init", "--dependency-path", "/nonexistent", "--execute"],
    ] {
        let run = init_with(&fixture, args).fails(1);
        assert!(
            run.stderr.contains(
                "the dependency path /nonexistent does not exist; give the directory of a checkout \
                                 of xtask-release"
            ),
            "{run}"
        );
    }
    // A directory that is there but holds no xtask-release.
    let empty = fixture.tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let run = init_with(&fixture, &["init", "--dependency-path", empty.to_str().unwrap(), "--execute"]).fails(1);
    assert!(run.stderr.contains("holds no Cargo.toml of xtask-release"), "{run}");
    assert_same_files(&before, &fixture.snapshot());
}

/// Where the xtask gets xtask-release from, and init saying which: by default the source
/// this binary was built from (this checkout, which still exists), a path inside the
/// repository relative to the xtask, a git URL at a revision. `--rev` without a git URL
/// is refused and nothing is written.
#[test]
fn the_dependency_resolves_here_and_init_says_which() {
    let fixture = fixture("lockstep");
    let before = fixture.snapshot();
    let here = env!("CARGO_MANIFEST_DIR");
    let run = init_with(&fixture, &["init"]).ok();
    assert!(
        run.stderr.contains(&format!(
            "note: the xtask depends on xtask-release from the source this binary was built from, {here}"
        )),
        "{run}"
    );
    assert!(run.stdout.contains(&format!("+xtask-release = {{ path = \"{here}\" }}")), "{run}");

    let run = init_with(&fixture, &["init", "--dependency-git", "https://example.com/xr.git", "--rev", "v0.1.0"]).ok();
    assert!(
        run.stdout.contains("+xtask-release = { git = \"https://example.com/xr.git\", rev = \"v0.1.0\" }"),
        "{run}"
    );
    assert!(run.stderr.contains("from https://example.com/xr.git at v0.1.0"), "{run}");

    let run = init_with(&fixture, &["init", "--rev", "v0.1.0"]).fails(2);
    assert!(run.stderr.contains("--dependency-git"), "{run}");
    assert_same_files(&before, &fixture.snapshot());

    fixture.write("vendor/xtask-release/Cargo.toml", "[package]\nname = \"xtask-release\"\n");
    let run = init_with(&fixture, &["init", "--dependency-path", "vendor/xtask-release"]).ok();
    assert!(run.stdout.contains("+xtask-release = { path = \"../vendor/xtask-release\" }"), "{run}");
}

//! `bump`: every version site of each fixture edited as in `tests/expected/`, the lock
//! file still accepted by cargo, dry runs that write nothing, `-p`, resuming an
//! interrupted bump, and the inputs it refuses with every file left as it was.

mod support;

use support::{assert_same_files, fixture};

/// Runs `bump ARGS --execute` on a fresh copy of `name` and checks the result against
/// `tests/expected/<expected>/` and cargo's view of the lock file.
fn bump_matches(name: &str, args: &[&str], expected: &str) -> support::Run {
    let fixture = fixture(name);
    let before = fixture.snapshot();
    let run = fixture.run(&[&["bump", "--execute"], args].concat()).ok();
    fixture.assert_expected(&before, expected);
    fixture.assert_lock_consistent();
    run
}

#[test]
fn single_crate_minor() {
    let run = bump_matches("single-crate", &["minor"], "single-crate-minor");
    assert!(run.stderr.contains("Bumping single from 0.1.0 to 0.2.0"), "{run}");
    assert!(run.stderr.contains("Updated Cargo.toml"), "{run}");
}

#[test]
fn lockstep_minor_moves_inheriting_members_and_leaves_the_wasm_crate() {
    let run = bump_matches("lockstep", &["minor"], "lockstep-minor");
    assert!(run.stderr.contains("Bumping acme-python from 0.1.0 to 0.2.0"), "{run}");
    assert!(!run.stderr.contains("acme-wasm"), "{run}");
}

#[test]
fn explicit_versions_requirements_and_extra_files() {
    let run = bump_matches("explicit", &["minor"], "explicit-minor");
    for file in
        ["Cargo.lock", "package.json", "python/pyproject.toml", "python/ex/__init__.py", "crates/example/Cargo.toml"]
    {
        assert!(run.stderr.contains(&format!("Updated {file}\n")), "{file}\n{run}");
    }
}

#[test]
fn dev_dependency_cycle() {
    bump_matches("devcycle", &["patch"], "devcycle-patch");
}

#[test]
fn package_mode_bumps_one_crate_and_its_dependents_requirements() {
    let run = bump_matches("explicit", &["minor", "-p", "ex-base"], "explicit-p-base");
    assert!(run.stderr.contains("Bumping ex-base from 0.3.1 to 0.4.0"), "{run}");
    assert!(!run.stderr.contains("Bumping ex-util"), "{run}");
}

#[test]
fn exact_version_and_pre_release() {
    let fixture = fixture("lockstep");
    fixture.run(&["bump", "rc", "--execute"]).ok();
    assert!(fixture.read("Cargo.toml").contains("version = \"0.1.1-rc.1\"  # the release"));
    fixture.run(&["bump", "rc", "--execute"]).ok();
    fixture.run(&["bump", "release", "--execute"]).ok();
    let manifest = fixture.read("Cargo.toml");
    assert!(manifest.contains("version = \"0.1.1\"  # the release"), "{manifest}");
    assert!(manifest.contains("acme-sdk = { path = \"crates/sdk\", version = \"0.1.1\" }"), "{manifest}");
    fixture.run(&["bump", "v1.0.0", "--execute"]).ok();
    assert!(fixture.read("crates/../Cargo.lock").contains("name = \"acme-core\"\nversion = \"1.0.0\""));
    fixture.assert_lock_consistent();
}

#[test]
fn dry_run_prints_diffs_and_writes_nothing() {
    let fixture = fixture("explicit");
    let before = fixture.snapshot();
    let run = fixture.run(&["bump", "minor"]).ok();
    assert!(run.stdout.contains("--- a/package.json\n+++ b/package.json\n"), "{run}");
    assert!(
        run.stdout.contains("-ex-util = { path = \"../util\", version = \"=0.3.1\" } # exact on purpose\n"),
        "{run}"
    );
    assert!(
        run.stdout.contains("+ex-util = { path = \"../util\", version = \"=0.4.0\" } # exact on purpose\n"),
        "{run}"
    );
    assert!(run.stderr.contains("dry run: 8 files would change"), "{run}");
    assert_same_files(&before, &fixture.snapshot());
}

#[test]
fn json_plan() {
    let fixture = fixture("lockstep");
    let before = fixture.snapshot();
    let run = fixture.run(&["--format", "json", "bump", "minor"]).ok();
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["version"], "0.2.0");
    let packages = plan["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 6, "{run}");
    assert!(packages.iter().any(|p| p["name"] == "acme-sdk" && p["from"] == "0.1.0" && p["to"] == "0.2.0"));
    let edits: Vec<&str> = plan["edits"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(edits.len(), 2, "{run}");
    // Relative to the workspace root.
    assert_eq!(edits, ["Cargo.lock", "Cargo.toml"], "{run}");
    assert_same_files(&before, &fixture.snapshot());
}

#[test]
fn package_mode_json_plan_moves_each_package_from_its_own_version() {
    let fixture = fixture("explicit");
    let run = fixture.run(&["--format", "json", "bump", "minor", "-p", "ex-example", "-p", "ex-base"]).ok();
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // The highest of the new versions.
    assert_eq!(plan["version"], "0.4.0", "{run}");
    let moves: Vec<String> = plan["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{} {} {}", p["name"], p["from"], p["to"]).replace('"', ""))
        .collect();
    assert_eq!(moves, ["ex-base 0.3.1 0.4.0", "ex-example 0.0.7 0.1.0"]);
}

#[test]
fn an_interrupted_bump_is_finished_by_running_it_again() {
    // Each case writes some files of the finished bump by hand, as if the run had
    // stopped after them, then runs the same bump again.
    let cases: &[(&str, &str, &[&str])] = &[
        ("lockstep", "lockstep-minor", &["Cargo.lock"]),
        // (Cargo.toml done and Cargo.lock not cannot happen: a bump writes the lock file
        // first. That state is a stale lock file, refused in tests/bad_input.rs.)
        ("explicit", "explicit-minor", &["crates/base/Cargo.toml", "package.json", "crates/example/Cargo.toml"]),
        ("explicit", "explicit-minor", &["Cargo.lock", "crates/app/Cargo.toml", "crates/util/Cargo.toml"]),
    ];
    for (name, expected, done) in cases {
        let fixture = fixture(name);
        let before = fixture.snapshot();
        for file in *done {
            let text = std::fs::read_to_string(support::expected::expected_dir(expected).join(file)).unwrap();
            fixture.write(file, &text);
        }
        let run = fixture.run(&["bump", "minor", "--execute"]).ok();
        fixture.assert_expected(&before, expected);
        for file in *done {
            assert!(!run.stderr.contains(&format!("Updated {file}\n")), "{file} was written again\n{run}");
        }
    }
}

#[test]
fn a_finished_bump_run_again_is_done_not_an_error() {
    let fixture = fixture("lockstep");
    fixture.run(&["bump", "0.2.0", "--execute"]).ok();
    let before = fixture.snapshot();
    for args in [&["bump", "0.2.0", "--execute"][..], &["bump", "0.2.0"], &["--format", "json", "bump", "0.2.0"]] {
        let run = fixture.run(args).ok();
        assert!(run.stderr.contains("the version is 0.2.0 everywhere already; nothing to do"), "{args:?}\n{run}");
        assert!(!run.stderr.contains("Bumping"), "{args:?}\n{run}");
        assert_same_files(&before, &fixture.snapshot());
    }
}

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    struct Case {
        fixture: &'static str,
        /// Breaks the fixture before the run.
        setup: fn(&support::Fixture),
        args: &'static [&'static str],
        code: i32,
        /// Each must appear in stderr (or stdout for check-version's problems).
        says: &'static [&'static str],
    }
    fn none(_: &support::Fixture) {}
    let cases = [
        Case {
            fixture: "lockstep",
            setup: none,
            args: &["bump", "0.x"],
            code: 2,
            says: &["0.x", "not a semver version"],
        },
        Case {
            fixture: "lockstep",
            setup: none,
            args: &["bump", "0.0.9", "--execute"],
            code: 1,
            says: &["0.0.9 is lower than 0.1.0", "Cargo.toml ([workspace.package] version)"],
        },
        Case {
            fixture: "explicit",
            setup: |f| f.write("crates/util/Cargo.toml", "[package\nname = \"ex-util\"\n"),
            args: &["bump", "minor", "--execute"],
            code: 1,
            says: &["crates/util/Cargo.toml"],
        },
        Case {
            fixture: "explicit",
            setup: |f| std::fs::remove_file(f.path("python/ex/__init__.py")).unwrap(),
            args: &["bump", "minor", "--execute"],
            code: 1,
            says: &["python/ex/__init__.py: cannot be read", "fix its path in extra-files"],
        },
        Case {
            fixture: "explicit",
            setup: |f| f.write("package.json", "{ \"name\": \"ex\" }\n"),
            args: &["bump", "minor", "--execute"],
            code: 1,
            says: &["package.json", "has no top-level \"version\""],
        },
        Case {
            fixture: "explicit",
            setup: none,
            args: &["bump", "minor", "-p", "ex-base", "-p", "nope", "--execute"],
            code: 1,
            says: &["no package `nope`", "ex-app, ex-base"],
        },
        Case {
            fixture: "lockstep",
            setup: none,
            args: &["bump", "minor", "-p", "acme-sdk", "--execute"],
            code: 1,
            says: &["crates/sdk/Cargo.toml", "takes its version from [workspace.package]"],
        },
        Case {
            fixture: "explicit",
            setup: |f| {
                f.write("crates/util/Cargo.toml", &f.read("crates/util/Cargo.toml").replace("'0.3.1'", "'0.5.0'"))
            },
            args: &["bump", "minor", "--execute"],
            code: 1,
            says: &["disagree", "0.5.0 in crates/util/Cargo.toml ([package] version)", "bump <VERSION>"],
        },
        Case {
            fixture: "explicit",
            setup: |f| {
                f.write("crates/app/Cargo.toml", &f.read("crates/app/Cargo.toml").replace("\"0.3\"", "\">=0.3, <0.4\""))
            },
            args: &["bump", "minor", "--execute"],
            code: 1,
            says: &[
                "crates/app/Cargo.toml",
                "[target.'cfg(unix)'.dependencies]",
                "`>=0.3, <0.4` does not accept 0.4.0",
            ],
        },
        Case {
            fixture: "lockstep",
            setup: |f| drop(f.run(&["bump", "0.2.0-rc.1", "--execute"]).ok()),
            args: &["bump", "beta", "--execute"],
            code: 1,
            says: &["`beta` on 0.2.0-rc.1 would go back from rc to beta, a downgrade"],
        },
        Case {
            fixture: "lockstep",
            setup: none,
            args: &["check-version", "--tag", "v0.2.0"],
            code: 1,
            says: &["Cargo.toml: the tag `v0.2.0` does not match the version 0.1.0", "run `bump 0.2.0`"],
        },
    ];
    for case in cases {
        let fixture = fixture(case.fixture);
        (case.setup)(&fixture);
        let before = fixture.snapshot();
        let run = fixture.run(case.args).fails(case.code);
        let said = format!("{}{}", run.stdout, run.stderr);
        for says in case.says {
            assert!(said.contains(says), "{:?} should say {says:?}\n{run}", case.args);
        }
        assert_same_files(&before, &fixture.snapshot());
    }
}

#[test]
fn library_api_used_by_release() {
    use xtask_release::report::Silent;
    use xtask_release::steps::{bump, check_version};
    use xtask_release::workspace::Workspace;

    let fixture = fixture("lockstep");
    let before = fixture.snapshot();
    let sh = xshell::Shell::new().unwrap();
    let load = || Workspace::load(&sh, Some(&fixture.path("Cargo.toml"))).unwrap();
    let plan = bump::plan(&load(), &bump::Options::new("minor".parse().unwrap())).unwrap();
    assert_eq!(plan.version, semver::Version::new(0, 2, 0));
    assert!(!plan.is_empty());
    bump::execute(&load(), &plan, &Silent).unwrap();
    fixture.assert_expected(&before, "lockstep-minor");

    let check = check_version::check(&sh, &load(), &check_version::Options::new().tag("v0.2.0")).unwrap();
    let shown: Vec<String> = check.problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].starts_with("CHANGELOG.md: has no section for 0.2.0;"), "{shown:?}");
}

#[test]
fn exclude_leaves_a_package_with_its_own_version_behind() {
    let fixture = fixture("explicit");
    fixture.run(&["bump", "minor", "--exclude", "ex-app", "--execute"]).ok();
    let app = fixture.read("crates/app/Cargo.toml");
    assert!(app.contains("version = \"0.3.1\"\n"), "{app}");
    // Requirements on the bumped packages still follow.
    assert!(app.contains("version = \"=0.4.0\""), "{app}");
    assert!(fixture.read("crates/util/Cargo.toml").contains("version = '0.4.0'"));

    let inherited = support::fixture("lockstep");
    let before = inherited.snapshot();
    let run = inherited.run(&["bump", "minor", "--exclude", "acme-core", "--execute"]).fails(1);
    assert!(
        run.stderr.contains("`acme-core` takes its version from [workspace.package], so it cannot stay behind"),
        "{run}"
    );
    support::assert_same_files(&before, &inherited.snapshot());
    let run = inherited.run(&["bump", "minor", "--exclude", "nope"]).fails(1);
    assert!(run.stderr.contains("--exclude nope: there is no package `nope` in this workspace"), "{run}");
}

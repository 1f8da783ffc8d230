//! `rollback` against the real local registry (through a logging proxy, so the order of
//! yanks is read from what the registry answered) and the loopback GitHub server, on a
//! release made by our own commands; `--undo`; re-runs; and the approval gate.

mod support;

use support::Run;
use support::proxy::{Faults, Proxy};
use support::release_flow::{CRATES, Released};

/// What each crate depends on, within the release.
const DEPENDS_ON: [(&str, &[&str]); 3] =
    [("acme-storage", &["acme-core"]), ("acme-sdk", &["acme-storage", "acme-security"]), ("acme-proxy", &["acme-sdk"])];

fn rollback(released: &Released, proxy: &Proxy, args: &[&str]) -> Run {
    rollback_in(released, proxy, args, false)
}

/// `rollback`, as in GitHub Actions when `github`.
fn rollback_in(released: &Released, proxy: &Proxy, args: &[&str], github: bool) -> Run {
    let mut cmd = released.command(&[&["rollback", "0.1.0", "--registry", "local"], args].concat());
    cmd.env("CARGO_REGISTRIES_LOCAL_INDEX", proxy.index_url());
    if github {
        cmd.env("GITHUB_ACTIONS", "true");
    }
    let run = support::run(cmd);
    assert!(!run.stdout.contains(support::release_flow::CANARY), "{run}");
    assert!(!run.stderr.contains(support::release_flow::CANARY), "{run}");
    run
}

/// The crates the registry answered `method .../suffix` for with 200, in its order.
fn answered(proxy: &Proxy, method: &str, suffix: &str) -> Vec<String> {
    proxy
        .api_calls()
        .into_iter()
        .filter(|(m, path, status)| m == method && path.ends_with(suffix) && *status == 200)
        .map(|(_, path, _)| path.split('/').nth(4).unwrap().to_string())
        .collect()
}

#[track_caller]
fn assert_order(order: &[String], dependents_first: bool) {
    let at = |name: &str| order.iter().position(|n| n == name).unwrap_or_else(|| panic!("{name} not in {order:?}"));
    for (name, deps) in DEPENDS_ON {
        for dep in deps {
            assert_eq!(at(name) < at(dep), dependents_first, "{name} and its dependency {dep} in {order:?}");
        }
    }
}

fn release_state(released: &Released) -> (String, bool, usize) {
    let state = released.mock.state();
    let release = &state.releases[0];
    (release.body.clone(), release.prerelease, release.assets.len())
}

fn patches(released: &Released) -> usize {
    released.mock.requests().iter().filter(|r| r.method == "PATCH").count()
}

#[test]
fn rollback_yanks_marks_and_deletes_then_undo_restores() {
    let released = Released::new();
    released.tag();
    released.publish(&[]);
    released.github_release();
    released.run(&["verify-published", "--registry", "local"]).ok();
    let proxy = Proxy::start(released.registry.port, Faults::default());
    let tag_commit = released.fixture.git(&["rev-parse", "v0.1.0^{commit}"]).trim().to_string();
    let origin_refs = released.fixture.origin_refs();
    let (notes, _, assets) = release_state(&released);

    // STEP 1: the dry run shows the plan and its digest, and changes nothing.
    let run = rollback(&released, &proxy, &["--reason", "miscompiles on arm"]).ok();
    assert!(run.stdout.contains("1. yank acme-proxy 0.1.0 on `local`"), "{run}");
    assert!(run.stdout.contains("6. mark the GitHub release v0.1.0 as YANKED (miscompiles on arm)"), "{run}");
    assert!(run.stdout.contains("8. delete the local tag v0.1.0"), "{run}");
    assert!(run.stderr.lines().any(|l| l.starts_with("plan: sha256:") && l.len() == 77), "{run}");
    let run = rollback(&released, &proxy, &["--execute"]).fails(1);
    assert!(run.stderr.contains("stdin is not a terminal; pass --yes"), "{run}");
    assert!(answered(&proxy, "DELETE", "/yank").is_empty());
    assert_eq!((patches(&released), released.fixture.origin_refs()), (0, origin_refs.clone()));

    // STEP 2: the rollback.
    rollback(&released, &proxy, &["--execute", "--yes", "--reason", "miscompiles on arm"]).ok();
    let yanked = answered(&proxy, "DELETE", "/yank");
    assert_eq!(yanked.len(), CRATES.len(), "{yanked:?}");
    assert_order(&yanked, true);
    for name in CRATES {
        assert_eq!(released.registry.yanked(name, "0.1.0"), Some(true), "{name}");
    }
    assert!(!released.fixture.tags().contains("v0.1.0"));
    assert!(!released.fixture.origin_refs().contains("refs/tags/"), "{}", released.fixture.origin_refs());
    let (body, prerelease, assets_now) = release_state(&released);
    assert!(body.starts_with("> **YANKED**: miscompiles on arm\n") && body.ends_with(&notes), "{body}");
    assert!(prerelease, "the release is no longer the latest");
    assert_eq!(assets_now, assets, "assets are never deleted");

    // verify-published now names what the rollback did.
    let run = released.run(&["verify-published", "--registry", "local"]).fails(1);
    for name in CRATES {
        assert!(run.stdout.contains(&format!("FAILED  registry  {name} 0.1.0: is yanked on `local`")), "{run}");
    }
    assert!(run.stdout.contains("is marked as a pre-release, but 0.1.0 is not one"), "{run}");

    // STEP 3: a re-run changes nothing.
    let calls = proxy.api_calls().len();
    let run = rollback(&released, &proxy, &["--execute", "--yes"]).ok();
    assert!(run.stderr.contains("already yanked") && run.stderr.contains("already marked"), "{run}");
    let changing = proxy.api_calls()[calls..].iter().filter(|(m, _, _)| m != "GET").count();
    assert_eq!((changing, patches(&released)), (0, 1));
    assert_eq!(release_state(&released).0, body);

    // STEP 4: --undo, with the tag's commit from the audit trail. In GitHub Actions, cargo's
    // own words (kept, not streamed) are folded into a group per crate.
    let run = rollback_in(&released, &proxy, &["--undo", "--execute", "--yes"], true).ok();
    for name in CRATES {
        let group = format!("::group::cargo yank {name}\n");
        let said = run.stderr.split_once(&group).map(|(_, rest)| rest.split("::endgroup::").next().unwrap_or(""));
        assert!(said.is_some_and(|s| s.contains(&format!("Unyank {name}@0.1.0"))), "{name}\n{run}");
    }
    let unyanked = answered(&proxy, "PUT", "/unyank");
    assert_eq!(unyanked.len(), CRATES.len(), "{unyanked:?}");
    assert_order(&unyanked, false);
    for name in CRATES {
        assert_eq!(released.registry.yanked(name, "0.1.0"), Some(false), "{name}");
    }
    assert_eq!(released.fixture.git(&["rev-parse", "v0.1.0^{commit}"]).trim(), tag_commit);
    assert!(released.fixture.origin_refs().contains("refs/tags/v0.1.0"));
    assert_eq!(release_state(&released), (notes, false, assets));
    released.run(&["verify-published", "--registry", "local"]).ok();
    released.run(&["audit", "--verify"]).ok();
    released.assert_no_canary_in_files();
}

#[test]
fn the_approval_gate_runs_only_the_approved_plan() {
    let released = Released::new();
    released.tag();
    released.publish(&["acme-proxy", "acme-sdk"]);
    let proxy = Proxy::start(released.registry.port, Faults::default());
    let manifest = released.fixture.read("Cargo.toml");
    let table = "[workspace.metadata.xtask-release]\n";
    let gated = manifest.replace(table, &format!("{table}require-approval = [\"rollback\"]\n"));
    assert_ne!(gated, manifest);
    released.fixture.write("Cargo.toml", &gated);
    let origin_refs = released.fixture.origin_refs();
    let log = released.fixture.tmp.path().join("target/xtask-release/audit.jsonl");
    let log_before = std::fs::read(&log).ok();
    let untouched = |released: &Released, proxy: &Proxy| {
        assert!(proxy.api_calls().iter().all(|(m, _, _)| m == "GET"), "{:?}", proxy.api_calls());
        assert_eq!(released.fixture.origin_refs(), origin_refs);
        assert!(released.fixture.tags().contains("v0.1.0"));
        assert_eq!(std::fs::read(&log).ok(), log_before, "the audit log was written");
    };
    let args = ["--no-github", "--execute", "--yes"];

    // Without an approval, --yes does not pass the gate.
    let run = rollback(&released, &proxy, &args).fails(1);
    assert!(
        run.stderr.contains("`rollback` needs an approved plan") && run.stderr.contains("nothing was done"),
        "{run}"
    );
    untouched(&released, &proxy);

    // An approval of another plan: what differs is named.
    let dry = rollback(&released, &proxy, &["--no-github", "--reason", "first"]).ok();
    let approved = dry.stderr.lines().find_map(|l| l.strip_prefix("plan: ")).unwrap().to_string();
    let run =
        rollback(&released, &proxy, &[&args[..], &["--reason", "second", "--approve", &approved]].concat()).fails(1);
    assert!(run.stderr.contains("the plan changed since it was approved"), "{run}");
    assert!(run.stderr.contains(r#"steps[5].reason: "first" -> "second""#), "{run}");
    let zeros = format!("sha256:{}", "0".repeat(64));
    let run = rollback(&released, &proxy, &[&args[..], &["--approve", &zeros]].concat()).fails(1);
    assert!(run.stderr.contains("cannot be named"), "{run}");
    untouched(&released, &proxy);

    // The approved plan runs, and the trail records the approval.
    rollback(&released, &proxy, &[&args[..], &["--reason", "first", "--approve", &approved]].concat()).ok();
    assert_eq!(answered(&proxy, "DELETE", "/yank"), ["acme-storage", "acme-security", "acme-core"]);
    let run = released.run(&["audit", "--verify", "--format", "json"]).ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let entries = report["entries"].as_array().unwrap();
    let rollback = entries.iter().filter(|e| e["command"].as_str().unwrap().contains(" rollback "));
    assert_eq!(rollback.clone().count(), 8, "{entries:?}");
    for entry in rollback {
        assert_eq!(entry["plan_digest"], approved.as_str(), "{entry}");
        assert_eq!(entry["approved"], approved.as_str(), "{entry}");
    }
}

/// An undo that cannot put the tag back (gone here and on the remote, its commit in no
/// audit trail) is refused, dry run and `--execute` alike, before anything is unyanked;
/// with `--commit` it runs. A re-run of a rollback names no empty commit ("(at )").
#[test]
fn an_undo_that_cannot_restore_the_tag_is_refused_until_given_its_commit() {
    let released = Released::new();
    released.tag();
    released.publish(&["acme-security", "acme-storage", "acme-sdk", "acme-proxy"]);
    let proxy = Proxy::start(released.registry.port, Faults::default());
    let tag_commit = released.fixture.git(&["rev-parse", "v0.1.0^{commit}"]).trim().to_string();
    rollback(&released, &proxy, &["--no-github", "--execute", "--yes"]).ok();
    assert_eq!(released.registry.yanked("acme-core", "0.1.0"), Some(true));

    // A re-run skips every step, and says why without an empty commit.
    let run = rollback(&released, &proxy, &["--no-github", "--execute", "--yes"]).ok();
    assert!(run.stderr.contains("Skipping delete the local tag v0.1.0 (no local tag)"), "{run}");
    assert!(!run.stderr.contains("(at )") && !run.stdout.contains("(at )"), "{run}");

    // The trail that recorded the tag's commit is gone (a fresh clone, a cleaned target/).
    std::fs::remove_dir_all(released.fixture.tmp.path().join("target/xtask-release")).unwrap();
    let refused = "cannot undo the rollback of 0.1.0: the tag v0.1.0 is gone here and on the remote, and the \
                   audit trail has no record of its commit";
    let run = rollback(&released, &proxy, &["--no-github", "--undo"]).fails(1);
    assert!(run.stderr.contains(refused) && run.stderr.contains("pass --commit SHA"), "{run}");
    let calls = proxy.api_calls().len();
    let origin_refs = released.fixture.origin_refs();
    let before = released.fixture.snapshot();
    let run = rollback(&released, &proxy, &["--no-github", "--undo", "--execute", "--yes"]).fails(1);
    assert!(run.stderr.contains(refused), "{run}");
    assert!(!run.stderr.contains("Restored"), "{run}");
    assert!(proxy.api_calls()[calls..].iter().all(|(m, _, _)| m == "GET"), "{:?}", proxy.api_calls());
    assert_eq!(released.registry.yanked("acme-core", "0.1.0"), Some(true));
    assert!(!released.fixture.tags().contains("v0.1.0"));
    assert_eq!(released.fixture.origin_refs(), origin_refs);
    support::assert_same_files(&before, &released.fixture.snapshot());

    // Given the commit, the undo runs to the end.
    let args = ["--no-github", "--undo", "--execute", "--yes", "--commit", &tag_commit];
    rollback(&released, &proxy, &args).ok();
    assert_eq!(released.registry.yanked("acme-core", "0.1.0"), Some(false));
    assert_eq!(released.fixture.git(&["rev-parse", "v0.1.0^{commit}"]).trim(), tag_commit);
    assert!(released.fixture.origin_refs().contains("refs/tags/v0.1.0"));
}

//! Benchmark, not a timed test (ignored by default; `scripts/bench-publish.sh` runs it):
//! wall time to publish generated 30-crate workspaces, a chain and a wide tree, with
//! `publish-ordered --execute` and with `cargo publish --workspace`, each on a fresh
//! registry, in the same run. With delays a loopback proxy makes the registry behave like
//! a real one: about 1 s per upload, a new version visible in the index only 2 s after its
//! upload, and (like crates.io) an upload refused when a dependency was never uploaded.
//! Each delayed result is also given as a fraction of its floor: the uploads that must
//! follow one another (a chain: all 30; a wide tree: the root, then the 29 others split
//! over `--jobs` workers) plus one index wait.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::proxy::{Faults, Proxy};
use support::registry::Registry;

const CRATES: usize = 30;
/// What the delay proxy adds to each upload, and how long a new version stays invisible.
const UPLOAD: Duration = Duration::from_secs(1);
const INDEX_LAG: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug)]
enum Layout {
    /// b1 depends on b0, b2 on b1, ...
    Chain,
    /// b1..b29 all depend on b0.
    Wide,
}

#[test]
#[ignore = "a benchmark; run scripts/bench-publish.sh"]
fn publish_30_crates_ours_vs_cargo_publish_workspace() {
    let jobs = std::env::var("BENCH_JOBS").unwrap_or_else(|_| "8".into());
    let workers: usize = jobs.parse().expect("BENCH_JOBS is a number");
    println!(
        "| workspace | registry | publish-ordered (--jobs {jobs}) | cargo publish --workspace | cargo / ours | floor | \
         floor / ours |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    // BENCH_LAYOUT=chain|wide and BENCH_DELAYS=with|without run one part, to iterate
    // faster; the figures in docs/benchmarks.md come from the whole run.
    let wanted = |var: &str, value: &str| std::env::var(var).map_or(true, |only| only == value);
    for layout in
        [Layout::Wide, Layout::Chain].into_iter().filter(|l| wanted("BENCH_LAYOUT", &format!("{l:?}").to_lowercase()))
    {
        for delays in [true, false].into_iter().filter(|d| wanted("BENCH_DELAYS", if *d { "with" } else { "without" }))
        {
            let ours = publish(layout, delays, support::BIN, &["publish-ordered", "--execute", "--jobs", &jobs]);
            let cargo = publish(layout, delays, env!("CARGO"), &["publish", "--workspace"]);
            let registry = if delays { "1 s per upload, visible 2 s later" } else { "no added delays" };
            let floor = match layout {
                Layout::Chain => UPLOAD * CRATES as u32 + INDEX_LAG,
                Layout::Wide => UPLOAD * (1 + (CRATES - 1).div_ceil(workers)) as u32 + INDEX_LAG,
            };
            let (floor, of_floor) = if delays {
                (format!("{:.1} s", floor.as_secs_f64()), format!("{:.2}", floor.as_secs_f64() / ours.as_secs_f64()))
            } else {
                ("-".to_string(), "-".to_string())
            };
            println!(
                "| {layout:?} | {registry} | {:.1} s | {:.1} s | {:.2}x | {floor} | {of_floor} |",
                ours.as_secs_f64(),
                cargo.as_secs_f64(),
                cargo.as_secs_f64() / ours.as_secs_f64()
            );
        }
    }
}

/// Generates the workspace in a fresh temp dir, starts a registry and proxy, and times
/// `program args --registry local` publishing every crate; checks that each got there.
fn publish(layout: Layout, delays: bool, program: &str, args: &[&str]) -> Duration {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ws");
    generate(&root, layout);
    let registry = Registry::start(tmp.path());
    // Without delays the registry is asked directly: the figure is the tools' own cost.
    let proxy = delays.then(|| {
        let faults = Faults { upload_delay: UPLOAD, stale_index: INDEX_LAG, ..Faults::default() };
        Proxy::start(registry.port, faults)
    });
    let index_url = proxy.as_ref().map_or_else(|| registry.index_url(), Proxy::index_url);
    let mut cmd = Command::new(program);
    cmd.args(args)
        .args(["--registry", "local"])
        .current_dir(&root)
        .env("CARGO_HOME", tmp.path().join("cargo-home"))
        .env("CARGO_TARGET_DIR", tmp.path().join("target"))
        .env("CARGO_REGISTRIES_LOCAL_INDEX", index_url)
        .env("CARGO_REGISTRIES_LOCAL_TOKEN", "bench-token")
        .env("NO_COLOR", "1");
    let started = Instant::now();
    let run = support::run(cmd);
    let elapsed = started.elapsed();
    assert_eq!(run.code, 0, "{run}");
    for i in 0..CRATES {
        assert_eq!(registry.versions(&format!("b{i}")), ["0.1.0"], "b{i} was not published\n{run}");
    }
    elapsed
}

fn generate(root: &Path, layout: Layout) {
    let write = |rel: &str, text: String| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let mut workspace = String::from(
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n\n[workspace.package]\nversion = \"0.1.0\"\n\
         edition = \"2021\"\nlicense = \"MIT\"\ndescription = \"A generated benchmark crate.\"\n\n\
         [workspace.dependencies]\n",
    );
    for i in 0..CRATES {
        workspace
            .push_str(&format!("b{i} = {{ path = \"crates/b{i}\", version = \"0.1.0\", registry = \"local\" }}\n"));
        let dep = match (layout, i) {
            (_, 0) => None,
            (Layout::Chain, i) => Some(i - 1),
            (Layout::Wide, _) => Some(0),
        };
        let deps = dep.map(|d| format!("b{d}.workspace = true\n")).unwrap_or_default();
        write(
            &format!("crates/b{i}/Cargo.toml"),
            format!(
                "[package]\nname = \"b{i}\"\nversion.workspace = true\nedition.workspace = true\n\
                 license.workspace = true\ndescription.workspace = true\n\n[dependencies]\n{deps}"
            ),
        );
        let body = dep.map(|d| format!("pub use b{d};\n")).unwrap_or_default();
        write(&format!("crates/b{i}/src/lib.rs"), format!("{body}pub fn id() -> usize {{ {i} }}\n"));
    }
    write("Cargo.toml", workspace);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(["-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false"])
            .args(args)
            .current_dir(root)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    git(&["init", "--quiet"]);
    git(&["add", "-A"]);
    git(&["commit", "--quiet", "-m", "generated"]);
}

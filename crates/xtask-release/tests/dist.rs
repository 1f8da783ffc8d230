//! `build-matrix`, `dist` and `verify-assets` on the two-binary fixture: a real release
//! build for the host, assets under the expected names that the real `sha256sum -c`
//! accepts, and bad config refused before anything is written.

mod support;

use std::path::Path;
use std::process::Command;

use support::{Fixture, assert_same_files, fixture};

/// The triple rustc builds for by default here.
fn host() -> String {
    let out = Command::new("rustc").arg("-vV").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().find_map(|l| l.strip_prefix("host: ")).unwrap().to_string()
}

/// Makes the fixture a workspace root with `dist` as its dist config (replacing any
/// earlier one).
fn configure(fixture: &Fixture, dist: &str) {
    let manifest = std::fs::read_to_string(support::fixtures_dir().join("single-crate/Cargo.toml")).unwrap();
    fixture
        .write("Cargo.toml", &format!("{manifest}\n[workspace]\n\n[workspace.metadata.xtask-release.dist]\n{dist}\n"));
}

fn host_only(fixture: &Fixture, archive: Option<&str>) {
    let archive = archive.map(|a| format!(", archive = \"{a}\"")).unwrap_or_default();
    let host = host();
    configure(
        fixture,
        &format!("targets = [{{ triple = \"{host}\", platform = \"test-host\", runner = \"self-hosted\"{archive} }}]"),
    );
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn dist_builds_the_host_assets_that_verify() {
    let fixture = fixture("single-crate");
    host_only(&fixture, None);
    let dist_dir = fixture.tmp.path().join("target/dist");
    let host = host();

    // The dry run shows the build and the files, and builds and writes nothing.
    let before = fixture.snapshot();
    let run = fixture.run(&["dist", "--target", &host]).ok();
    assert!(
        run.stdout
            .contains(&format!("build --release --locked --target {host} -p single --bin single-a --bin single-b")),
        "{run}"
    );
    assert!(run.stdout.contains("single-b-0.1.0-test-host.sha256"), "{run}");
    assert_same_files(&before, &fixture.snapshot());
    assert!(!fixture.tmp.path().join("target").exists(), "the dry run built something");

    let run = fixture.run(&["dist", "--target", &host, "--execute"]).ok();
    let sidecar = std::fs::read_to_string(dist_dir.join("single-a-0.1.0-test-host.sha256")).unwrap();
    let digest = sidecar.split_whitespace().next().unwrap();
    assert!(
        run.stdout.contains(&format!("{digest}  {}", dist_dir.join("single-a-0.1.0-test-host").display())),
        "{run}"
    );
    assert_eq!(
        names_in(&dist_dir),
        [
            "single-a-0.1.0-test-host",
            "single-a-0.1.0-test-host.sha256",
            "single-b-0.1.0-test-host",
            "single-b-0.1.0-test-host.sha256"
        ]
    );
    // GNU coreutils' sha256sum, which only Linux ships.
    #[cfg(target_os = "linux")]
    {
        let check = support::run({
            let mut cmd = Command::new("sha256sum");
            cmd.args(["-c", "--strict", "single-a-0.1.0-test-host.sha256", "single-b-0.1.0-test-host.sha256"]);
            cmd.current_dir(&dist_dir);
            cmd
        });
        assert_eq!(check.code, 0, "{check}");
    }
    // The assets are the real binaries, and still executable.
    let out = Command::new(dist_dir.join("single-b-0.1.0-test-host")).output().unwrap();
    assert!(out.status.success());

    let dist = dist_dir.to_str().unwrap();
    let run = fixture.run(&["verify-assets", dist]).ok();
    assert!(
        run.stdout.contains("Assets (4) for 0.1.0:") && run.stdout.contains("single-a-0.1.0-test-host.sha256"),
        "{run}"
    );

    // A combined sums file is welcome; a tampered, a missing and a stray file are named.
    fixture.run(&["checksum", dist, "--sums", &format!("{dist}/SHA256SUMS"), "--execute"]).ok();
    fixture.run(&["verify-assets", dist]).ok();
    std::fs::write(dist_dir.join("single-a-0.1.0-test-host"), "tampered").unwrap();
    std::fs::remove_file(dist_dir.join("single-b-0.1.0-test-host")).unwrap();
    std::fs::write(dist_dir.join("notes.txt"), "stray").unwrap();
    let run = fixture.run(&["verify-assets", dist]).fails(1);
    assert!(run.stdout.contains("single-a-0.1.0-test-host: FAILED"), "{run}");
    assert!(run.stdout.contains("single-b-0.1.0-test-host: MISSING (promised for test-host)"), "{run}");
    // Once, though its `.sha256` and the sums file name it too.
    assert_eq!(run.stdout.matches("single-b-0.1.0-test-host:").count(), 1, "{run}");
    assert!(run.stdout.contains("notes.txt: UNEXPECTED"), "{run}");
    assert!(run.stderr.contains("did not verify"), "{run}");
}

/// Built for one target of two, checked for that one (`--target`); then the folder
/// reused for the next version: the old files are named as another version's (not as
/// strays to rebuild), and `dist` removes its own old files once the new ones are written.
#[test]
fn one_target_is_checked_alone_and_a_reused_folder_is_cleared_of_the_last_version() {
    let fixture = fixture("single-crate");
    let host = host();
    configure(
        &fixture,
        &format!(
            "targets = [{{ triple = \"{host}\", platform = \"test-host\", runner = \"self-hosted\" }}, \
             {{ triple = \"aarch64-apple-darwin\", platform = \"macos-silicon\", runner = \"macos-14\" }}]"
        ),
    );
    fixture.git(&["commit", "--quiet", "-am", "two targets"]);
    let dist_dir = fixture.tmp.path().join("target/dist");
    let dist = dist_dir.to_str().unwrap();
    fixture.run(&["dist", "--target", &host, "--execute"]).ok();

    let run = fixture.run(&["verify-assets", dist]).fails(1);
    assert!(run.stdout.contains("single-a-0.1.0-macos-silicon: MISSING (promised for macos-silicon)"), "{run}");
    for asked in ["test-host", host.as_str()] {
        let run = fixture.run(&["verify-assets", dist, "--target", asked]).ok();
        assert!(run.stderr.contains("Verified 2 assets and their checksums"), "{run}");
    }
    let run = fixture.run(&["verify-assets", dist, "--target", "nowhere"]).fails(1);
    assert!(run.stderr.contains("--target nowhere is not a configured target"), "{run}");
    assert!(run.stderr.contains("aarch64-apple-darwin (macos-silicon)"), "{run}");

    fixture.run(&["bump", "0.2.0", "--execute"]).ok();
    let run = fixture.run(&["verify-assets", dist, "--target", "test-host"]).fails(1);
    assert!(
        run.stdout.contains("single-a-0.1.0-test-host: OTHER VERSION (an asset of 0.1.0, not of this release)"),
        "{run}"
    );
    assert!(run.stdout.contains("single-a-0.1.0-test-host.sha256: OTHER VERSION"), "{run}");
    assert!(!run.stdout.contains("UNEXPECTED"), "{run}");
    assert!(run.stderr.contains("remove the files of other versions"), "{run}");

    // Someone else's file in the folder is left alone.
    std::fs::write(dist_dir.join("notes.txt"), "mine").unwrap();
    let before = fixture.snapshot();
    let run = fixture.run(&["dist", "--target", &host]).ok();
    assert!(run.stdout.contains("single-b-0.1.0-test-host.sha256  (an asset of another version)"), "{run}");
    assert_eq!(run.stdout.matches("  remove ").count(), 4, "{run}");
    assert_same_files(&before, &fixture.snapshot());
    let run = fixture.run(&["dist", "--target", &host, "--execute"]).ok();
    assert!(run.stderr.contains("Removed"), "{run}");
    assert_eq!(
        names_in(&dist_dir),
        [
            "notes.txt",
            "single-a-0.2.0-test-host",
            "single-a-0.2.0-test-host.sha256",
            "single-b-0.2.0-test-host",
            "single-b-0.2.0-test-host.sha256"
        ]
    );
}

#[test]
fn archives_hold_the_binary_and_the_docs() {
    let fixture = fixture("single-crate");
    fixture.write("README.md", "# single\n");
    fixture.write("LICENSE", "MIT\n");
    host_only(&fixture, Some("tar.gz"));
    let out = fixture.tmp.path().join("assets");
    let out_arg = out.to_str().unwrap();
    fixture.run(&["dist", "--target", &host(), "--out", out_arg, "--execute"]).ok();
    // The real tar reads it: sorted entries, owner 0/0, the fixed time, the modes.
    let listing = support::run({
        let mut cmd = Command::new("tar");
        cmd.arg("-tvzf").arg(out.join("single-a-0.1.0-test-host.tar.gz")).env("TZ", "UTC");
        cmd
    });
    let rows: Vec<Vec<&str>> = listing.stdout.lines().map(|l| l.split_whitespace().collect()).collect();
    let names: Vec<&str> = rows.iter().map(|r| *r.last().unwrap()).collect();
    assert_eq!(names, ["LICENSE", "README.md", "single-a"], "{listing}");
    for row in &rows {
        assert_eq!(row[1], "0/0", "{listing}");
        assert!(row.contains(&"1980-01-01"), "{listing}");
    }
    assert_eq!((rows[1][0], rows[2][0]), ("-rw-r--r--", "-rwxr-xr-x"), "{listing}");

    host_only(&fixture, Some("zip"));
    fixture.run(&["dist", "--target", &host(), "--out", out_arg, "--execute"]).ok();
    // Python's zipfile (CPython is on every machine, unzip is not) checks the CRCs and
    // reads the entries back: the binary's bytes and mode are the built ones.
    let zip = out.join("single-b-0.1.0-test-host.zip");
    let script = "import hashlib, sys, zipfile\n\
        z = zipfile.ZipFile(sys.argv[1])\n\
        assert z.testzip() is None\n\
        for i in z.infolist(): print(oct(i.external_attr >> 16), i.filename, i.compress_type, i.date_time, hashlib.sha256(z.read(i)).hexdigest())";
    let listing = support::run({
        let mut cmd = Command::new("python3");
        cmd.args(["-c", script]).arg(&zip);
        cmd
    });
    assert_eq!(listing.code, 0, "{listing}");
    let digest = |path: &Path| {
        use sha2::Digest as _;
        let bytes = sha2::Sha256::digest(std::fs::read(path).unwrap());
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let binary = fixture.tmp.path().join(format!("target/{}/release/single-b", host()));
    assert_eq!(
        listing.stdout.lines().collect::<Vec<_>>(),
        [
            format!("0o100644 LICENSE 8 (1980, 1, 1, 0, 0, 0) {}", digest(&fixture.path("LICENSE"))),
            format!("0o100644 README.md 8 (1980, 1, 1, 0, 0, 0) {}", digest(&fixture.path("README.md"))),
            format!("0o100755 single-b 8 (1980, 1, 1, 0, 0, 0) {}", digest(&binary)),
        ]
    );

    // A second run of the same binaries, into another directory and with the docs
    // rewritten (a new mtime), gives byte-identical archives of both kinds.
    let again = fixture.tmp.path().join("again");
    for kind in ["zip", "tar.gz"] {
        host_only(&fixture, Some(kind));
        fixture.write("README.md", "# single\n");
        fixture.run(&["dist", "--target", &host(), "--out", again.to_str().unwrap(), "--execute"]).ok();
        for bin in ["single-a", "single-b"] {
            let name = format!("{bin}-0.1.0-test-host.{kind}");
            let first = std::fs::read(out.join(&name)).unwrap();
            assert_eq!(first, std::fs::read(again.join(&name)).unwrap(), "{name} differs between two runs");
        }
    }
}

#[test]
fn build_matrix_json_and_github_output() {
    let fixture = fixture("single-crate");
    let output = fixture.tmp.path().join("github_output");
    std::fs::write(&output, "earlier=1\n").unwrap();
    // Without --github-output, a set GITHUB_OUTPUT is left alone.
    let mut cmd = fixture.command(&["build-matrix"]);
    cmd.env("GITHUB_OUTPUT", &output);
    let quiet = support::run(cmd).ok();
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "earlier=1\n");
    let mut cmd = fixture.command(&["build-matrix", "--github-output"]);
    cmd.env("GITHUB_OUTPUT", &output);
    let run = support::run(cmd).ok();
    assert_eq!(quiet.stdout, run.stdout);

    let expected = r#"{"include":[{"target":"x86_64-unknown-linux-gnu","platform":"linux-amd64","runner":"ubuntu-latest","assets":["single-a-0.1.0-linux-amd64","single-b-0.1.0-linux-amd64"]},{"target":"aarch64-unknown-linux-gnu","platform":"linux-arm64","runner":"ubuntu-24.04-arm","assets":["single-a-0.1.0-linux-arm64","single-b-0.1.0-linux-arm64"]},{"target":"x86_64-apple-darwin","platform":"macos-intel","runner":"macos-15-intel","assets":["single-a-0.1.0-macos-intel","single-b-0.1.0-macos-intel"]},{"target":"aarch64-apple-darwin","platform":"macos-silicon","runner":"macos-15","assets":["single-a-0.1.0-macos-silicon","single-b-0.1.0-macos-silicon"]},{"target":"x86_64-pc-windows-msvc","platform":"windows-amd64","runner":"windows-latest","assets":["single-a-0.1.0-windows-amd64.exe","single-b-0.1.0-windows-amd64.exe"]}]}"#;
    assert_eq!(run.stdout, format!("{expected}\n"));
    assert_eq!(std::fs::read_to_string(&output).unwrap(), format!("earlier=1\nmatrix={expected}\nbuilds=true\n"));

    let run = fixture.run(&["build-matrix", "--format", "table"]).ok();
    assert!(run.stdout.starts_with("target "), "{run}");
    let last: Vec<&str> = run.stdout.lines().last().unwrap().split_whitespace().collect();
    assert_eq!(last, ["x86_64-pc-windows-msvc", "windows-amd64", "windows-latest", "single-b-0.1.0-windows-amd64.exe"]);
}

/// Per-target build options reach the build command, and `archive-per-target` puts
/// every shipped binary of a target in one archive.
#[test]
fn per_target_options_and_one_archive_per_target() {
    let fixture = fixture("single-crate");
    fixture.write("README.md", "# single\n");
    fixture.write("LICENSE", "MIT\n");
    let host = host();
    configure(
        &fixture,
        &format!(
            "archive-per-target = true\ntargets = [{{ triple = \"{host}\", platform = \"test-host\", runner = \"self-hosted\", \
             cross = true, features = [\"fast\", \"small\"], no-default-features = true, env = {{ CC_test = \"clang\" }} }}]"
        ),
    );
    let run = fixture.run(&["dist", "--target", &host, "--format", "json"]).ok();
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["cross"], true, "{run}");
    assert_eq!(plan["env"], serde_json::json!({ "CC_test": "clang" }), "{run}");
    let build: Vec<&str> = plan["build"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert!(build.ends_with(&["--bin", "single-b", "--features", "fast,small", "--no-default-features"]), "{build:?}");
    let assets = plan["assets"].as_array().unwrap();
    assert_eq!(assets.len(), 1, "{run}");
    assert_eq!(assets[0]["name"], "single-a-0.1.0-test-host.tar.gz", "{run}");
    assert!(assets[0]["bundled"][0].as_str().unwrap().ends_with("/release/single-b"), "{run}");
    let run = fixture.run(&["dist", "--target", &host]).ok();
    assert!(run.stdout.contains("run    CC_test=clang cross build --release"), "{run}");

    // Built for real (natively): one archive holding both binaries and the docs.
    configure(
        &fixture,
        &format!(
            "archive-per-target = true\ntargets = [{{ triple = \"{host}\", platform = \"test-host\", runner = \"self-hosted\" }}]"
        ),
    );
    let out = fixture.tmp.path().join("assets");
    fixture.run(&["dist", "--target", &host, "--out", out.to_str().unwrap(), "--execute"]).ok();
    assert_eq!(names_in(&out), ["single-a-0.1.0-test-host.tar.gz", "single-a-0.1.0-test-host.tar.gz.sha256"]);
    let listing = support::run({
        let mut cmd = Command::new("tar");
        cmd.arg("-tzf").arg(out.join("single-a-0.1.0-test-host.tar.gz"));
        cmd
    });
    assert_eq!(
        listing.stdout.lines().collect::<Vec<_>>(),
        ["LICENSE", "README.md", "single-a", "single-b"],
        "{listing}"
    );
    fixture.run(&["verify-assets", out.to_str().unwrap()]).ok();
}

/// A package with a main binary ships only it by default, and build-matrix says which
/// binary it left out and the key that ships it.
#[test]
fn helper_binaries_do_not_ship_by_default() {
    let fixture = fixture("single-nested");
    let manifest = fixture.read("Cargo.toml");
    let without_bins = manifest.replace("bins = [{ package = \"ripple\", bin = \"ripple\" }]\n", "");
    assert_ne!(manifest, without_bins);
    fixture.write("Cargo.toml", &without_bins);
    let run = fixture.run(&["build-matrix", "--format", "text"]).ok();
    assert!(run.stdout.contains("ripple-2.3.0-linux-amd64") && !run.stdout.contains("ripple-schema"), "{run}");
    assert!(
        run.stderr.contains("not shipping ripple/ripple-schema")
            && run.stderr.contains(r#"bins = [{ package = "ripple" }] in [package.metadata.xtask-release.dist]"#),
        "{run}"
    );
}

/// Each bad config fails every command naming the culprit, with exit code 1, and writes
/// nothing: no assets, no `GITHUB_OUTPUT`, no file in the workspace.
#[test]
fn bad_config_is_refused_before_anything_is_written() {
    let host = host();
    let cases = [
        (format!("targets = [{{ triple = \"{host}x\" }}]"), format!("unknown target triple `{host}x`")),
        (
            "asset-name = \"{bin}-{version}\"".to_string(),
            "gives `single-a-0.1.0` both for single-a on linux-amd64".into(),
        ),
        ("bins = [{ package = \"single\", bin = \"single-c\" }]".to_string(), "has no binary `single-c`".into()),
        ("asset-name = \"{bin}-{arch}\"".to_string(), "unknown placeholder `{arch}`".into()),
        ("target = []".to_string(), "unknown field `target`".into()),
    ];
    for (dist, message) in cases {
        let fixture = fixture("single-crate");
        configure(&fixture, &dist);
        let output = fixture.tmp.path().join("github_output");
        let before = fixture.snapshot();
        let mut cmd = fixture.command(&["build-matrix", "--github-output"]);
        cmd.env("GITHUB_OUTPUT", &output);
        let run = support::run(cmd).fails(1);
        assert!(run.stderr.contains(&message), "{dist}: {run}");
        let run = fixture.run(&["dist", "--target", &host, "--execute"]).fails(1);
        assert!(run.stderr.contains(&message), "{dist}: {run}");
        fixture.write("dist/a", "a\n");
        let with_dist = fixture.snapshot();
        let run = fixture.run(&["verify-assets", "dist"]).fails(1);
        assert!(run.stderr.contains(&message), "{dist}: {run}");
        assert_same_files(&with_dist, &fixture.snapshot());
        std::fs::remove_dir_all(fixture.path("dist")).unwrap();
        assert_same_files(&before, &fixture.snapshot());
        assert!(!output.exists(), "{dist}: GITHUB_OUTPUT was written");
        assert!(!fixture.tmp.path().join("target").exists(), "{dist}: something was built");
    }

    // An output directory that cannot be made fails before the build (Linux's /proc).
    #[cfg(target_os = "linux")]
    {
        let unwritable = fixture("single-crate");
        host_only(&unwritable, None);
        let before = unwritable.snapshot();
        let run = unwritable.run(&["dist", "--target", &host, "--out", "/proc/x", "--execute"]).fails(1);
        assert!(run.stderr.contains("cannot create the output directory /proc/x; pass --out a directory"), "{run}");
        // The target directory may hold the audit trail of the failed step, and nothing else.
        let target = unwritable.tmp.path().join("target");
        let built: Vec<_> = std::fs::read_dir(&target)
            .map(|dir| dir.flatten().map(|e| e.file_name()).filter(|n| n != "xtask-release").collect())
            .unwrap_or_default();
        assert!(built.is_empty(), "built before checking --out: {built:?}");
        assert_same_files(&before, &unwritable.snapshot());
    }

    let fixture = fixture("single-crate");
    let run = fixture.run(&["dist", "--target", "aarch64-unknown-linux-musl", "--execute"]).fails(1);
    assert!(run.stderr.contains("target `aarch64-unknown-linux-musl` is not one of the release targets"), "{run}");
    assert!(!fixture.tmp.path().join("target").exists());
}

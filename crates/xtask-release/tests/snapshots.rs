//! Snapshot tests (insta): the exact text and JSON every command prints on the fixtures,
//! stdout and stderr, so a wording or key change shows up as a reviewed `.snap` diff.
//! What varies from run to run (temp paths, durations, dates, commit hashes) is
//! normalised first. Update with `cargo insta review` or `INSTA_UPDATE=always`; on CI
//! (`CI=true`) a mismatch fails instead of writing, and so does a missing snapshot.
//!
//! Unix only: on Windows paths print with backslashes and binaries end in `.exe`, so the text
//! differs by design; tests/json.rs checks the JSON interface there, tests/dist.rs and
//! tests/checksum.rs the Windows paths.
#![cfg(unix)]

mod support;

use support::release_flow::Released;
use support::{Fixture, Run, fixture};

/// Runs the binary with `args` in the fixture and renders exit code, stdout and stderr,
/// normalised, as one snapshot text.
fn render(fixture: &Fixture, args: &[&str]) -> String {
    render_run(fixture, args, fixture.run(args))
}

/// Renders a run of the binary with `args`, normalised, as one snapshot text.
fn render_run(fixture: &Fixture, args: &[&str], run: Run) -> String {
    let text = format!(
        "$ xtask-release {}\nexit code: {}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        run.code,
        run.stdout,
        run.stderr
    );
    normalise(fixture, &text)
}

/// Replaces what differs between runs: the fixture's temp paths, durations, dates and
/// git object ids, plan digests.
fn normalise(fixture: &Fixture, text: &str) -> String {
    let mut text = text.to_string();
    for (path, name) in [(fixture.root.clone(), "[ROOT]"), (fixture.tmp.path().to_path_buf(), "[TMP]")] {
        // The resolved form first: macOS's temp dir is under a symlink (/var -> /private/var),
        // and cargo and git print resolved paths.
        for path in [path.canonicalize().unwrap_or(path.clone()), path] {
            text = text.replace(&path.to_string_lossy().to_string(), name);
        }
    }
    let mut text = text.replace(support::BIN, "xtask-release");
    // The cargo we run under, which the binary runs too (`$CARGO`), lives where rustup put it.
    if let Ok(cargo) = std::env::var("CARGO") {
        text = text.replace(&cargo, "[CARGO]");
    }
    let text = loopback_ports(&text);
    let text = cargo_output(&json_values(&text, &["host", "prev", "duration_ms", "seconds"]));
    let text = audit_ms_column(&text);
    let mut text = durations(&text);
    // A right-aligned duration pads by its width: two spaces before it, whatever the width.
    while text.contains("   [TIME]") {
        text = text.replace("   [TIME]", "  [TIME]");
    }
    let text = dates(&timestamps(&text));
    hashes(&plan_digests(&text), &git_objects(fixture))
}

/// Every commit and tag object of the fixture's repository, whose ids (and their
/// abbreviations) differ from run to run with the commit dates.
fn git_objects(fixture: &Fixture) -> Vec<String> {
    let commits = fixture.git(&["rev-list", "--all"]);
    let refs = fixture.git(&["for-each-ref", "--format=%(objectname)"]);
    commits.lines().chain(refs.lines()).map(str::to_string).collect()
}

/// Lines cargo prints (`Compiling foo v0.1.0 (path)`, `Finished \`dev\` profile ...`,
/// `Packaged 5 files, ...`) change with cargo's version and its parallel jobs; each run of
/// them becomes one `[cargo output]` line. Our own status lines name no path in
/// parentheses, so they stay.
fn cargo_output(text: &str) -> String {
    let is_cargo = |line: &str| {
        let line = line.trim();
        let Some((verb, rest)) = line.split_once(' ') else { return false };
        if !verb.starts_with(|c: char| c.is_ascii_uppercase()) || !verb.chars().all(|c| c.is_ascii_alphabetic()) {
            return false;
        }
        let versioned = rest
            .split(' ')
            .nth(1)
            .is_some_and(|v| v.starts_with('v') && v[1..].starts_with(|c: char| c.is_ascii_digit()));
        (versioned && rest.ends_with(')'))
            || (verb == "Finished" && rest.starts_with('`'))
            || (verb == "Packaged" && rest.contains(" files, "))
            || (verb == "Updating" && rest.starts_with('`'))
            || (verb == "Locking" && rest.starts_with(|c: char| c.is_ascii_digit()))
            || (verb == "Blocking" && rest.starts_with("waiting for file lock"))
    };
    let mut out = String::new();
    let mut in_cargo = false;
    for line in text.split_inclusive('\n') {
        if is_cargo(line) {
            if !in_cargo {
                out.push_str("[cargo output]\n");
            }
            in_cargo = true;
        } else {
            in_cargo = false;
            out.push_str(line);
        }
    }
    out
}

/// `127.0.0.1:PORT` (the registry, the GitHub server) becomes `127.0.0.1:[PORT]`.
fn loopback_ports(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("127.0.0.1:") {
        let (head, tail) = rest.split_at(at + "127.0.0.1:".len());
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("[PORT]");
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

/// The value of each `"key": value` in a JSON document becomes `"[KEY]"`: the machine's
/// host name, the hash of the previous audit line (it covers a time), a measured duration.
fn json_values(text: &str, keys: &[&str]) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let key = keys.iter().find(|k| line.trim_start().starts_with(&format!("\"{k}\": ")));
        match key {
            Some(key) => {
                let at = line.find(&format!("\"{key}\": ")).unwrap() + key.len() + 4;
                let comma = if line.trim_end().ends_with(',') { "," } else { "" };
                let newline = if line.ends_with('\n') { "\n" } else { "" };
                out.push_str(&format!("{}\"[{}]\"{comma}{newline}", &line[..at], key.to_uppercase()));
            }
            None => out.push_str(line),
        }
    }
    out
}

/// `audit`'s table has a column of measured milliseconds (`ms`) whose width follows its
/// widest value: the cells of that column, header included, become `[MS]`.
fn audit_ms_column(text: &str) -> String {
    let mut out = String::new();
    let mut columns: Option<(usize, usize)> = None;
    for line in text.split_inclusive('\n') {
        if line.starts_with("#  time ") {
            columns = line.find("  ms ").zip(line.find("  produced")).map(|(ms, produced)| (ms + 2, produced + 2));
        } else if !line.starts_with(|c: char| c.is_ascii_digit()) {
            columns = None;
        }
        match columns {
            Some((start, end)) if line.len() > start && line.is_char_boundary(start) => {
                // A row with nothing produced ends in the `ms` column.
                let rest = line.get(end..).unwrap_or("\n");
                out.push_str(&format!("{}[MS]  {rest}", &line[..start]));
            }
            _ => out.push_str(line),
        }
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SSZ` becomes `[TIMESTAMP]`.
fn timestamps(text: &str) -> String {
    let bytes = text.as_bytes();
    let shape = b"dddd-dd-ddTdd:dd:ddZ";
    let is_stamp = |at: usize| {
        bytes.len() >= at + shape.len()
            && bytes[at..at + shape.len()]
                .iter()
                .zip(shape)
                .all(|(b, s)| if *s == b'd' { b.is_ascii_digit() } else { b == s })
    };
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        if text.is_char_boundary(i) && is_stamp(i) {
            out.push_str("[TIMESTAMP]");
            i += shape.len();
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// A plan's digest (`sha256:` and 64 hex digits) covers the HEAD commit, so it differs
/// on every run; it becomes `sha256:[PLAN]`.
fn plan_digests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("sha256:") {
        let (head, tail) = rest.split_at(at + "sha256:".len());
        out.push_str(head);
        let hex = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        if hex == 64 {
            out.push_str("[PLAN]");
            rest = &tail[64..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// `1.23s`, `45ms`, `0.5µs` after a non-word character become `[TIME]`.
fn durations(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let boundary = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '.');
        if boundary && chars[i].is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            if j + 1 < chars.len() && chars[j] == '.' && chars[j + 1].is_ascii_digit() {
                j += 1;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
            }
            let rest: String = chars[j..chars.len().min(j + 3)].iter().collect();
            let unit = ["ms", "µs", "ns", "s"].into_iter().find(|u| rest.starts_with(u));
            if let Some(unit) = unit {
                let end = j + unit.chars().count();
                if end >= chars.len() || !chars[end].is_alphanumeric() {
                    out.push_str("[TIME]");
                    i = end;
                    continue;
                }
            }
            out.extend(&chars[i..j]);
            i = j;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// `YYYY-MM-DD` becomes `[DATE]`.
fn dates(text: &str) -> String {
    let bytes = text.as_bytes();
    let is_date = |at: usize| {
        bytes.len() >= at + 10
            && bytes[at..at + 10]
                .iter()
                .enumerate()
                .all(|(k, b)| if k == 4 || k == 7 { *b == b'-' } else { b.is_ascii_digit() })
            && (at == 0 || !bytes[at - 1].is_ascii_alphanumeric())
            && bytes.get(at + 10).is_none_or(|b| !b.is_ascii_alphanumeric())
    };
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        if text.is_char_boundary(i) && is_date(i) {
            out.push_str("[DATE]");
            i += 10;
        } else {
            let c = text[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Lowercase hex words of commit-id length (40) and abbreviations (7 or more digits) of
/// the repository's `objects` become `[HASH]`; 64-digit SHA-256 sums of file contents
/// are stable and kept.
fn hashes(text: &str, objects: &[String]) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let hex = !word.is_empty() && word.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
        let object = word.len() >= 7 && objects.iter().any(|o| o.starts_with(word.as_str()));
        if hex && (word.len() == 40 || object) {
            out.push_str("[HASH]");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// Text and JSON of one command, as two snapshots `<name>_text` and `<name>_json`.
fn text_and_json(fixture: &Fixture, name: &str, args: &[&str]) {
    insta::assert_snapshot!(format!("{name}_text"), render(fixture, args));
    let mut json = vec!["--format", "json"];
    json.extend(args);
    insta::assert_snapshot!(format!("{name}_json"), render(fixture, &json));
}

#[test]
fn bump_dry_run() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "bump_single_crate_minor", &["bump", "minor"]);
    let fixture = support::fixture("lockstep");
    text_and_json(&fixture, "bump_lockstep_minor", &["bump", "minor"]);
}

#[test]
fn check_version_passing_and_failing() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "check_version_passing", &["check-version"]);
    text_and_json(&fixture, "check_version_failing_tag", &["check-version", "--tag", "v0.2.0"]);
}

#[test]
fn build_matrix() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "build_matrix_single_crate", &["build-matrix"]);
}

#[test]
fn changelog_dry_run() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "changelog_single_crate", &["changelog"]);
}

#[test]
fn tag_dry_run() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "tag_single_crate", &["tag"]);
}

#[test]
fn release_dry_run_without_checks() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "release_single_crate_minor", &["release", "minor", "--no-verify"]);
}

#[test]
fn checksum_and_verify_assets() {
    let fixture = fixture("single-crate");
    fixture.write("assets/a.bin", "a\n");
    fixture.write("assets/b.txt", "b\n");
    text_and_json(&fixture, "checksum_dry_run", &["checksum", "assets"]);
    fixture.run(&["checksum", "assets", "--execute"]).ok();
    text_and_json(&fixture, "checksum_verify_passing", &["checksum", "assets", "--verify"]);
    text_and_json(&fixture, "verify_assets", &["verify-assets", "assets"]);
    fixture.write("assets/a.bin", "changed\n");
    text_and_json(&fixture, "checksum_verify_failing", &["checksum", "assets", "--verify"]);
}

#[test]
fn verify_assets_passing_and_missing_dir() {
    let fixture = fixture("single-crate");
    let matrix: serde_json::Value = serde_json::from_str(&fixture.run(&["build-matrix"]).ok().stdout).unwrap();
    for entry in matrix["include"].as_array().unwrap() {
        for asset in entry["assets"].as_array().unwrap() {
            let name = asset.as_str().unwrap();
            fixture.write(&format!("dist/{name}"), &format!("the bytes of {name}\n"));
        }
    }
    fixture.run(&["checksum", "dist", "--sums", "dist/SHA256SUMS", "--execute"]).ok();
    text_and_json(&fixture, "verify_assets_passing", &["verify-assets", "dist"]);
    text_and_json(&fixture, "verify_assets_error_no_dir", &["verify-assets", "nothere"]);
}

/// `init`'s dry run on a repository without any of its files, and its refusal to
/// replace a workflow it did not write.
#[test]
fn init_dry_run_and_foreign_workflow() {
    let fixture = fixture("single-crate");
    let init = ["init", "--dependency-path", "../xtask-release"];
    text_and_json(&fixture, "init_single_crate", &init);
    fixture.write(".github/workflows/release.yml", "name: Release\n");
    text_and_json(&fixture, "init_error_foreign_workflow", &init);
}

/// The trail of two executed steps, printed and verified, and a log that is not there.
#[test]
fn audit_print_verify_and_missing_log() {
    let fixture = fixture("single-crate");
    fixture.run(&["bump", "minor", "--execute"]).ok();
    fixture.run(&["changelog", "--execute"]).ok();
    text_and_json(&fixture, "audit_two_steps", &["audit"]);
    text_and_json(&fixture, "audit_verify", &["audit", "--verify"]);
    text_and_json(&fixture, "audit_error_no_log", &["audit", "--log", "nothere.jsonl"]);
}

/// One representative failure of each command that needs nothing but the fixture.
#[test]
fn errors_without_services() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "bump_error_not_a_version", &["bump", "banana"]);
    text_and_json(&fixture, "bump_error_lower_version", &["bump", "0.0.1"]);
    text_and_json(&fixture, "dist_error_unknown_target", &["dist", "--target", "nope-unknown-none"]);
    text_and_json(&fixture, "checksum_error_no_file", &["checksum", "nothere"]);
    text_and_json(&fixture, "publish_ordered_error_no_registry", &["publish-ordered", "--registry", "nowhere"]);
    text_and_json(
        &fixture,
        "verify_published_error_no_registry",
        &["verify-published", "--registry", "nowhere", "--skip", "release"],
    );
    text_and_json(&fixture, "rollback_error_no_token", &["rollback", "0.1.0", "--registry", "nowhere"]);
    text_and_json(&fixture, "github_release_error_no_repository", &["github-release"]);

    // A dirty tree stops `tag` and `release` in their preflight.
    fixture.write("src/bin/a.rs", "fn main() { println!(\"changed\"); }\n");
    text_and_json(&fixture, "tag_error_dirty_tree", &["tag"]);
    text_and_json(&fixture, "release_error_dirty_tree", &["release", "patch", "--no-verify"]);
    fixture.git(&["checkout", "--", "."]);

    // A template with an unknown placeholder stops every command that reads the config.
    let manifest = fixture.read("Cargo.toml");
    fixture.write(
        "Cargo.toml",
        &format!("{manifest}\n[package.metadata.xtask-release.dist]\nasset-name = \"{{bin}}-{{arch}}\"\n"),
    );
    text_and_json(&fixture, "build_matrix_error_unknown_placeholder", &["build-matrix"]);
    fixture.write("Cargo.toml", &manifest);

    // No changelog file to write a section into is fine; a changelog switched off is not.
    fixture.write("Cargo.toml", &format!("{manifest}\n[package.metadata.xtask-release]\nchangelog = false\n"));
    text_and_json(&fixture, "changelog_error_off", &["changelog"]);
}

/// Text and JSON of one command run as `released.run` runs it (cargo at the local
/// registry, GitHub at the loopback server), as `<name>_text` and `<name>_json`.
fn released_text_and_json(released: &Released, name: &str, args: &[&str]) {
    released_snapshot(released, &format!("{name}_text"), args);
    released_snapshot(released, &format!("{name}_json"), &[&["--format", "json"], args].concat());
}

fn released_snapshot(released: &Released, name: &str, args: &[&str]) {
    let run = released.run(args);
    insta::assert_snapshot!(name.to_string(), render_run(&released.fixture, args, run));
}

/// `released_text_and_json` for output that names the checksums of `.crate` files, which
/// hold the commit id (`.cargo_vcs_info.json`) and so differ on every run.
fn released_text_and_json_of_packages(released: &Released, name: &str, args: &[&str]) {
    for (suffix, args) in [("text", args.to_vec()), ("json", [&["--format", "json"], args].concat())] {
        let run = released.run(&args);
        let text = built_sums(&render_run(&released.fixture, &args, run));
        insta::assert_snapshot!(format!("{name}_{suffix}"), text);
    }
}

/// One release of the lockstep fixture, command by command, against the real registry
/// and the GitHub server: each command's dry run, its executed run, and the checks and
/// plans that come after.
#[test]
fn publish_github_release_verify_and_rollback() {
    let released = Released::new();
    released_text_and_json(&released, "publish_ordered_dry_run", &["publish-ordered", "--registry", "local"]);
    released.tag();
    // One upload at a time, so that the status lines come in one order.
    let publish = ["publish-ordered", "--registry", "local", "--execute", "--jobs", "1"];
    released_snapshot(&released, "publish_ordered_execute_one_text", &[&publish[..], &["-p", "acme-core"]].concat());
    released_snapshot(&released, "publish_ordered_execute_rest_json", &[&["--format", "json"], &publish[..]].concat());

    // The assets `build-matrix` promises, with made-up content, and their checksums.
    let matrix: serde_json::Value = serde_json::from_str(&released.run(&["build-matrix"]).ok().stdout).unwrap();
    std::fs::create_dir_all(&released.dist).unwrap();
    for entry in matrix["include"].as_array().unwrap() {
        for asset in entry["assets"].as_array().unwrap() {
            let name = asset.as_str().unwrap();
            std::fs::write(released.dist.join(name), format!("the bytes of {name}\n")).unwrap();
        }
    }
    let dist = released.dist.to_str().unwrap();
    let sums = released.dist.join("SHA256SUMS");
    released.run(&["checksum", dist, "--sums", sums.to_str().unwrap(), "--execute"]).ok();
    released_text_and_json(&released, "github_release_dry_run", &["github-release", "--assets", dist]);
    let execute = ["github-release", "--assets", dist, "--execute"];
    released_snapshot(&released, "github_release_execute_json", &[&["--format", "json"], &execute[..]].concat());
    released_snapshot(&released, "github_release_rerun_text", &execute);

    released_text_and_json(&released, "verify_published_passing", &["verify-published", "--registry", "local"]);
    let rollback = ["rollback", "0.1.0", "--registry", "local", "--reason", "miscompiles on arm"];
    released_text_and_json(&released, "rollback_dry_run", &rollback);

    // Failures against the services: an asset that changed since it was uploaded, and a
    // crate whose content changed under a version already published.
    let asset = released.dist.join("acme-proxy-0.1.0-linux-amd64");
    let original = std::fs::read(&asset).unwrap();
    std::fs::write(&asset, "rebuilt, other bytes\n").unwrap();
    released_text_and_json(&released, "github_release_error_asset_changed", &execute);
    std::fs::write(&asset, original).unwrap();
    released.fixture.write("crates/core/src/lib.rs", "pub fn name() -> &'static str { \"changed\" }\n");
    released.fixture.git(&["commit", "--quiet", "-am", "change acme-core"]);
    released_text_and_json_of_packages(&released, "publish_ordered_error_changed_content", &publish);

    // The rollback itself, what verify-published says then, and the plan to undo it.
    released_snapshot(&released, "rollback_execute_text", &[&rollback[..], &["--execute", "--yes"]].concat());
    released_text_and_json(
        &released,
        "verify_published_failing_after_rollback",
        &["verify-published", "--registry", "local"],
    );
    released_text_and_json(&released, "rollback_undo_dry_run", &["rollback", "0.1.0", "--registry", "local", "--undo"]);
}

/// 64-digit hex words (SHA-256 sums of built binaries, which differ with the toolchain,
/// and of packages, which hold the commit id) become `[SHA256]`.
fn built_sums(text: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    for c in text.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_hexdigit() {
            word.push(c);
            continue;
        }
        out.push_str(if word.len() == 64 { "[SHA256]" } else { &word });
        word.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// `dist`'s plan for a configured target (any host can plan it), and on x86_64 Linux,
/// whose target every toolchain there has, the build itself.
#[test]
fn dist_plan_and_build() {
    let fixture = fixture("single-crate");
    let dist = ["dist", "--target", "x86_64-unknown-linux-gnu", "--out", "dist"];
    text_and_json(&fixture, "dist_dry_run", &dist);
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        let execute = [&dist[..], &["--execute"]].concat();
        insta::assert_snapshot!("dist_execute_text", built_sums(&render(&fixture, &execute)));
        let json = [&["--format", "json"], &execute[..]].concat();
        insta::assert_snapshot!("dist_execute_json", built_sums(&render(&fixture, &json)));
    }
}

/// The executed local steps, as text and then as JSON: `bump`, `changelog` and `tag
/// --push` by hand for 0.2.0 and 0.2.1, then `release` for 0.3.0 and 0.3.1.
#[test]
fn executed_bump_changelog_tag_and_release() {
    let fixture = fixture("single-crate");
    text_and_json(&fixture, "changelog_new_section", &["changelog", "--version", "0.2.0"]);
    for (json, level) in [(false, "minor"), (true, "patch")] {
        let suffix = if json { "json" } else { "text" };
        let with_format =
            |args: &[&'static str]| if json { [&["--format", "json"], args].concat() } else { args.to_vec() };
        let bump = with_format(&["bump", level, "--execute"]);
        insta::assert_snapshot!(format!("bump_execute_{suffix}"), render(&fixture, &bump));
        let changelog = with_format(&["changelog", "--execute"]);
        insta::assert_snapshot!(format!("changelog_execute_{suffix}"), render(&fixture, &changelog));
        fixture.git(&["commit", "--quiet", "-am", "release"]);
        fixture.git(&["push", "--quiet", "origin", "main"]);
        let tag = with_format(&["tag", "--execute", "--push"]);
        insta::assert_snapshot!(format!("tag_execute_push_{suffix}"), render(&fixture, &tag));
    }
    let release = ["release", "minor", "--no-verify", "--execute", "--yes"];
    insta::assert_snapshot!("release_execute_text", render(&fixture, &release));
    let release = ["--format", "json", "release", "patch", "--no-verify", "--execute", "--yes"];
    insta::assert_snapshot!("release_execute_json", render(&fixture, &release));
}

#[test]
fn checksum_execute_with_sums_file() {
    let fixture = fixture("single-crate");
    fixture.write("assets/a.bin", "a\n");
    fixture.write("assets/b.txt", "b\n");
    text_and_json(
        &fixture,
        "checksum_execute_sums",
        &["checksum", "assets", "--sums", "assets/SHA256SUMS", "--execute"],
    );
}

/// Inside GitHub Actions a failing check also annotates, on stderr; with `--format json`
/// stdout is still the one document.
#[test]
fn check_version_failing_in_github_actions() {
    let fixture = fixture("single-crate");
    for (name, args) in [
        ("check_version_failing_github_actions_text", &["check-version", "--tag", "v0.2.0"][..]),
        ("check_version_failing_github_actions_json", &["--format", "json", "check-version", "--tag", "v0.2.0"][..]),
    ] {
        let mut cmd = fixture.command(args);
        cmd.env("GITHUB_ACTIONS", "true");
        insta::assert_snapshot!(name, render_run(&fixture, args, support::run(cmd)));
    }
}

/// The commands and global options, as `--help` lists them.
#[test]
fn help() {
    let fixture = fixture("single-crate");
    insta::assert_snapshot!("help_text", render(&fixture, &["--help"]));
}

/// Every command `--help` lists has at least one text and one JSON snapshot here, so a
/// new command cannot ship without its output pinned.
#[test]
fn every_command_has_text_and_json_snapshots() {
    use clap::CommandFactory;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let mut missing = Vec::new();
    for command in xtask_release::Cli::command().get_subcommands() {
        let prefix = format!("snapshots__{}_", command.get_name().replace('-', "_"));
        for kind in ["_text.snap", "_json.snap"] {
            if !files.iter().any(|f| f.starts_with(&prefix) && f.ends_with(kind)) {
                missing.push(format!("{}{kind}", command.get_name()));
            }
        }
    }
    assert!(missing.is_empty(), "commands without a snapshot: {missing:?}");
}

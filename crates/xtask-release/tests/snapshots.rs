//! Snapshot tests (insta): the exact text and JSON every command prints on the fixtures,
//! stdout and stderr, so a wording or key change shows up as a reviewed `.snap` diff.
//! What varies from run to run (temp paths, durations, dates, commit hashes) is
//! normalised first. Update with `cargo insta review` or `INSTA_UPDATE=always`; on CI
//! (`CI=true`) a mismatch fails instead of writing.

mod support;

use support::{Fixture, fixture};

/// Runs the binary with `args` in the fixture and renders exit code, stdout and stderr,
/// normalised, as one snapshot text.
fn render(fixture: &Fixture, args: &[&str]) -> String {
    let run = fixture.run(args);
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
    for (path, name) in [(&fixture.root, "[ROOT]"), (&fixture.tmp.path().to_path_buf(), "[TMP]")] {
        let path = path.to_string_lossy().to_string();
        // JSON escapes the backslashes of a Windows path.
        text = text.replace(&path.replace('\\', "\\\\"), name).replace(&path, name);
    }
    let text = durations(&text);
    let text = dates(&text);
    hashes(&plan_digests(&text))
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

/// Lowercase hex words of commit-id length (40, or 7 to 12 abbreviated, with a digit and
/// a letter) become `[HASH]`; 64-digit SHA-256 sums of file contents are stable and kept.
fn hashes(text: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let hex = !word.is_empty() && word.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c));
        let mixed = word.chars().any(|c| c.is_ascii_digit()) && word.chars().any(|c| c.is_ascii_alphabetic());
        if hex && (word.len() == 40 || ((7..=12).contains(&word.len()) && mixed)) {
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

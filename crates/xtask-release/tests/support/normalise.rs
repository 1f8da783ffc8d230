//! What differs between runs of the same command, normalised for snapshot tests
//! (tests/snapshots.rs): temp paths, loopback ports, durations, dates, git object ids,
//! plan digests, cargo's own lines, and what the machine or the toolchain decides.

use super::Fixture;

/// Replaces what differs between runs: the fixture's temp paths, durations, dates and
/// git object ids, plan digests.
pub fn normalise(fixture: &Fixture, text: &str) -> String {
    let mut text = text.to_string();
    for (path, name) in [(fixture.root.clone(), "[ROOT]"), (fixture.tmp.path().to_path_buf(), "[TMP]")] {
        // The resolved form first: macOS's temp dir is under a symlink (/var -> /private/var),
        // and cargo and git print resolved paths.
        for path in [path.canonicalize().unwrap_or(path.clone()), path] {
            text = text.replace(&path.to_string_lossy().to_string(), name);
        }
    }
    let mut text = text.replace(super::BIN, "xtask-release");
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
            || (verb == "Downloading" && rest == "crates ...")
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

/// 64-digit hex words (SHA-256 sums of built binaries, which differ with the toolchain,
/// and of packages, which hold the commit id) become `[SHA256]`.
pub fn built_sums(text: &str) -> String {
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

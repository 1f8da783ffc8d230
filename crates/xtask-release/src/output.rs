//! Status lines on stderr in cargo's style, results on stdout, and (through
//! [`crate::actions`]) GitHub Actions annotations and groups when running there.

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::path::Path;

use serde::Serialize;

use crate::actions;

/// `println!` for results on stdout, except that a closed stdout (`... | head`) is not a
/// panic: the reader going away must not cut a release step short half-way.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `print!` with the same tolerance of a closed stdout as [`outln!`].
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

#[derive(Debug, Clone, Copy)]
pub struct Output {
    color: bool,
    github: bool,
}

impl Output {
    /// Colour only on a terminal and never with `NO_COLOR`; workflow commands only in
    /// GitHub Actions.
    pub fn from_env() -> Output {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Output {
            color: !no_color && std::io::stderr().is_terminal(),
            github: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
        }
    }

    pub fn github(&self) -> bool {
        self.github
    }

    /// `   Verb message`, the verb right-aligned in 12 columns like cargo's.
    pub fn status(&self, verb: &str, message: impl Display) {
        self.line(verb, "32", true, message);
    }

    pub fn warn(&self, message: impl Display) {
        self.line("warning", "33", false, message);
    }

    pub fn note(&self, message: impl Display) {
        self.line("note", "36", false, message);
    }

    /// Prints an error with its chain of causes, cargo's way.
    pub fn error(&self, err: &anyhow::Error) {
        let mut text = err.to_string();
        let causes: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
        if !causes.is_empty() {
            text.push_str("\n\nCaused by:");
            for cause in causes {
                for line in cause.lines() {
                    text.push_str("\n  ");
                    text.push_str(line);
                }
            }
        }
        self.line("error", "31", false, text);
    }

    fn line(&self, label: &str, color: &str, right_align: bool, message: impl Display) {
        let label = if right_align { format!("{label:>12}") } else { format!("{label}:") };
        // The last line of defence: messages quote servers' and tools' answers.
        let message = crate::ops::redact::redact(&message.to_string());
        let mut stderr = std::io::stderr().lock();
        let _ = if self.color {
            writeln!(stderr, "\x1b[1;{color}m{label}\x1b[0m {message}")
        } else {
            writeln!(stderr, "{label} {message}")
        };
    }

    /// An `::error` annotation in GitHub Actions, attached to `file` when given.
    pub fn github_error(&self, file: Option<&Path>, message: &str) {
        if !self.github {
            return;
        }
        actions::error(file, message);
    }

    /// A `::group::` block in GitHub Actions that closes, with the elapsed time, on drop.
    pub fn group(&self, name: impl Display) -> Group {
        let name = name.to_string();
        if self.github {
            actions::begin_group(&name);
        }
        Group { github: self.github }
    }
}

impl crate::report::Reporter for Output {
    fn status(&self, verb: &str, message: &str) {
        Output::status(self, verb, message);
    }
    fn note(&self, message: &str) {
        Output::note(self, message);
    }
    fn warn(&self, message: &str) {
        Output::warn(self, message);
    }
    fn problem(&self, file: Option<&Path>, message: &str) {
        self.github_error(file, message);
    }
    fn begin_group(&self, name: &str) {
        if self.github {
            actions::begin_group(name);
        }
    }
    fn end_group(&self) {
        if self.github {
            actions::end_group();
        }
    }
    fn passes_tool_output(&self) -> bool {
        true
    }
    fn command(&self, line: &str) {
        // xshell's own echo, which the engine turns off to leave it to the reporter.
        let _ = writeln!(std::io::stderr(), "$ {}", crate::ops::redact::redact(line));
    }
    fn failed(&self, verb: &str, message: &str) {
        self.line(verb, "31", true, message);
    }
    fn tool_output(&self, name: &str, text: &str) {
        if self.github {
            let _group = self.group(name);
            // On stderr with the group's markers, so stdout stays the result alone.
            let _ = writeln!(std::io::stderr(), "{}", crate::ops::redact::redact(text));
        }
    }
}

pub struct Group {
    github: bool,
}

impl Drop for Group {
    fn drop(&mut self) {
        if self.github {
            actions::end_group();
        }
    }
}

/// The version of every JSON document a command prints (`format_version`); it changes
/// only when a key is removed or changes its meaning.
pub const FORMAT_VERSION: u32 = 1;

/// `value` as a pretty JSON document: an object with `"format_version": 1` first (unless
/// it has one already). Anything but an object is a bug: a document must have room for
/// the version and for keys added later.
pub fn json_document<T: Serialize>(value: &T) -> anyhow::Result<String> {
    #[derive(Serialize)]
    struct Versioned<'a, T> {
        format_version: u32,
        #[serde(flatten)]
        body: &'a T,
    }
    let mut map = match serde_json::to_value(value)? {
        serde_json::Value::Object(map) => map,
        other => anyhow::bail!("bug: a JSON document must be an object, not {other}"),
    };
    if !map.contains_key("format_version") {
        return Ok(serde_json::to_string_pretty(&Versioned { format_version: FORMAT_VERSION, body: value })?);
    }
    let text = serde_json::to_string_pretty(value)?;
    if text.starts_with("{\n  \"format_version\"") {
        return Ok(text);
    }
    // A document that carries its own version, not as its first key: the version goes
    // first all the same (the rest, having gone through a map, sorted).
    let version = map.remove("format_version").and_then(|v| v.as_u64()).unwrap_or(FORMAT_VERSION.into());
    #[derive(Serialize)]
    struct Own<'a> {
        format_version: u64,
        #[serde(flatten)]
        body: &'a serde_json::Map<String, serde_json::Value>,
    }
    Ok(serde_json::to_string_pretty(&Own { format_version: version, body: &map })?)
}

/// Prints a value as the one JSON document on stdout (see [`json_document`]).
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let text = crate::ops::redact::redact(&json_document(value)?);
    crate::outln!("{text}");
    Ok(())
}

/// `1 file`, `2 files`.
pub fn plural(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

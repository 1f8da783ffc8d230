//! The code checks `release` runs before it changes anything: `cargo fmt --check`,
//! clippy with warnings denied, and the test suite (`test-command`). fmt takes seconds, so
//! every plan runs it; clippy and the tests take minutes, so a plan lists them as pending
//! with what they will run, and they run at `--execute` before the first change (or in a
//! dry run when asked, `--checks`).
//!
//! Each says when it starts and how long it took. On a terminal their output passes
//! through as it comes (cargo draws its progress) when the reporter lets tools' output
//! through, as the CLI's does; elsewhere it is kept, the tail of a failure's output goes
//! into the report, and a heartbeat says every 30 s how long the check has been running.

use std::io::IsTerminal as _;
use std::time::Duration;

use xshell::{Shell, cmd};

use crate::ops::cargo;
use crate::report::Reporter;
use crate::steps::preflight::Check;

/// Which checks to run; each can be skipped by a flag.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct Skip {
    pub fmt: bool,
    pub clippy: bool,
    pub tests: bool,
}

/// How often a check whose output is kept says it is still running.
const HEARTBEAT: Duration = Duration::from_secs(30);

/// Runs the checks not skipped that take seconds (fmt), and lists the slow ones
/// (clippy, the tests) as pending with what they will run.
pub fn run(sh: &Shell, out: &dyn Reporter, skip: Skip, test_command: &[String]) -> Vec<Check> {
    specs(skip, test_command)
        .into_iter()
        .map(|spec| match spec.slow {
            true => spec.settled().unwrap_or_else(|| spec.pending()),
            false => spec.settled().unwrap_or_else(|| spec.run(sh, out)),
        })
        .collect()
}

/// Runs the slow checks `checks` lists as pending, each to completion, and gives every
/// check with its result; the others are kept as they are.
pub fn run_pending(
    sh: &Shell,
    out: &dyn Reporter,
    checks: Vec<Check>,
    skip: Skip,
    test_command: &[String],
) -> Vec<Check> {
    let specs = specs(skip, test_command);
    checks
        .into_iter()
        .map(|check| match specs.iter().find(|s| s.name == check.name && check.is_pending()) {
            Some(spec) => spec.run(sh, out),
            None => check,
        })
        .collect()
}

/// The results [`run`] gives when every check that runs passes, known without running
/// any: what a plan that may be carried out shows, so that an approval can be compared
/// with it before any check runs.
pub fn expected(skip: Skip, test_command: &[String]) -> Vec<Check> {
    specs(skip, test_command)
        .into_iter()
        .map(|spec| {
            spec.settled().unwrap_or_else(|| match spec.slow {
                true => spec.pending(),
                false => spec.passed(),
            })
        })
        .collect()
}

/// One check: its name, whether it is skipped and by which flag, what it runs, and
/// whether it takes minutes rather than seconds.
struct Spec {
    name: &'static str,
    skip: bool,
    flag: &'static str,
    argv: Vec<String>,
    slow: bool,
}

fn specs(skip: Skip, test_command: &[String]) -> [Spec; 3] {
    let cargo = |args: &[&str]| std::iter::once("cargo").chain(args.iter().copied()).map(String::from).collect();
    [
        Spec {
            name: "cargo fmt",
            skip: skip.fmt,
            flag: "--skip-fmt",
            argv: cargo(&["fmt", "--all", "--check"]),
            slow: false,
        },
        Spec {
            name: "cargo clippy",
            skip: skip.clippy,
            flag: "--skip-clippy",
            argv: cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]),
            slow: true,
        },
        Spec { name: "tests", skip: skip.tests, flag: "--skip-tests", argv: test_command.to_vec(), slow: true },
    ]
}

impl Spec {
    fn shown(&self) -> String {
        format!("`{}`", self.argv.join(" "))
    }

    /// The result when it is known without running anything: skipped, or nothing to run.
    fn settled(&self) -> Option<Check> {
        let (name, flag) = (self.name, self.flag);
        if self.skip {
            return Some(Check::skipped(name, format!("{} skipped ({flag} or --no-verify)", self.shown())));
        }
        self.argv.is_empty().then(|| {
            Check::failed(name, "test-command is empty", format!("set `test-command` to an argv list, or pass {flag}"))
        })
    }

    fn passed(&self) -> Check {
        Check::passed(self.name, format!("{} passed", self.shown()))
    }

    fn pending(&self) -> Check {
        Check::pending(
            self.name,
            format!("{} runs at --execute, before the first change (in a dry run: --checks)", self.shown()),
        )
    }

    fn run(&self, sh: &Shell, out: &dyn Reporter) -> Check {
        let (name, shown) = (self.name, self.shown());
        // Never empty here: an empty argv is settled without running.
        let Some((program, args)) = self.argv.split_first() else { return self.settled().unwrap_or(self.passed()) };
        // A test command builds and runs the workspace's code: no token in its reach.
        let command = match program.as_str() {
            "cargo" => cargo::command(sh),
            _ => cargo::without_secrets(cmd!(sh, "{program}")),
        };
        let command = command.args(args).quiet().ignore_status();
        let progress = out.progress("Running", &shown);
        let fix = format!("run {shown}, fix what it reports, commit, and re-run");
        if out.passes_tool_output() && std::io::stderr().is_terminal() {
            // Its stdout goes to our stderr: our stdout holds only the report (or JSON).
            let mut command = std::process::Command::from(command);
            let status = command.stdout(std::io::stderr()).status();
            let ok = status.as_ref().is_ok_and(|s| s.success());
            progress.finish(ok);
            return match status {
                Ok(_) if ok => self.passed(),
                Ok(_) => Check::failed(name, format!("{shown} failed; its output is above"), fix),
                Err(err) => Check::failed(name, format!("cannot run {shown}: {err}"), "install what it needs"),
            };
        }
        let output = out.heartbeat(&shown, HEARTBEAT, || command.env("CARGO_TERM_COLOR", "never").output());
        progress.finish(output.as_ref().is_ok_and(|o| o.status.success()));
        let output = match output {
            Ok(output) => output,
            Err(err) => return Check::failed(name, format!("cannot run {shown}: {err}"), "install what it needs"),
        };
        if output.status.success() {
            return self.passed();
        }
        let text = String::from_utf8_lossy(&output.stderr).into_owned() + &String::from_utf8_lossy(&output.stdout);
        let text = crate::ops::redact::redact(&text);
        Check::failed(name, format!("{shown} failed:\n{}", tail(&text, 20)), fix)
    }
}

/// The last `n` non-empty lines, indented to sit under the check in the report.
fn tail(text: &str, n: usize) -> String {
    let text = strip_ansi(text);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    lines[start..].iter().map(|l| format!("              {l}")).collect::<Vec<_>>().join("\n")
}

/// Drops terminal escape sequences: rustfmt colours its diff even into a pipe.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // CSI: parameters up to a final letter.
            Some('[') => {
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            // Character set selection, e.g. `ESC ( B`.
            Some('(' | ')') => {
                chars.next();
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_dropped() {
        assert_eq!(strip_ansi("\x1b[31m-fn main() {}\n\x1b(B\x1b[m+x"), "-fn main() {}\n+x");
    }

    #[test]
    fn tail_keeps_the_last_non_empty_lines() {
        assert_eq!(tail("a\n\nb\nc\n", 2), "              b\n              c");
    }
}

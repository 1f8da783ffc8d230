//! How a running step tells its caller what it is doing: the [`Reporter`] trait that the
//! CLI implements (cargo-style status lines on stderr) and a library caller may too.

use std::path::Path;
use std::time::{Duration, Instant};

/// Progress of an executing plan. Every method is a line for a human; nothing here is
/// part of a command's result, which comes back as a typed outcome. `Sync`: parallel
/// uploads report from several threads.
pub trait Reporter: Sync {
    /// A step starts or ends, in cargo's style: `verb` is one word (`Bumping`, `Wrote`).
    fn status(&self, verb: &str, message: &str);
    /// Something worth knowing that is not a problem.
    fn note(&self, message: &str);
    /// Something that may be a problem but does not stop the step.
    fn warn(&self, message: &str);
    /// A problem found in `file` (relative to the workspace root, or as given), for
    /// reporters that can attach it to the file, like GitHub Actions annotations.
    fn problem(&self, file: Option<&Path>, message: &str) {
        let _ = (file, message);
    }
    /// A long step that prints a lot (cargo's own output) starts; `end_group` closes it.
    fn begin_group(&self, name: &str) {
        let _ = name;
    }
    fn end_group(&self) {}
    /// Whether the tools a step runs may write straight to this process's stderr as they
    /// go (cargo's progress on a terminal). A reporter that shows nothing says no; the
    /// tools' output is then kept, and what matters of it goes into the results.
    fn passes_tool_output(&self) -> bool {
        false
    }
    /// An external command about to run, as xshell shows it (`cargo build --release ...`),
    /// for reporters that echo what runs.
    fn command(&self, line: &str) {
        let _ = line;
    }
    /// A step failed, said in the same style as `status`; the error itself comes back to
    /// the caller, this only closes the step's line.
    fn failed(&self, verb: &str, message: &str) {
        self.status(verb, message);
    }
    /// The whole output of a tool that ran quietly (cargo's), for reporters that show it
    /// folded away under `name`, like a GitHub Actions group; others leave it out.
    fn tool_output(&self, name: &str, text: &str) {
        let _ = (name, text);
    }
}

impl dyn Reporter + '_ {
    /// Starts a long step: says what it is doing now, and [`Progress::finish`] says how
    /// long it took, so a slow step never looks like a hang.
    pub fn progress(&self, verb: &str, what: &str) -> Progress<'_> {
        self.status(verb, what);
        Progress { reporter: self, what: format!("{} {what}", verb.to_lowercase()), started: Instant::now() }
    }

    /// Runs `work`, and while it runs says every `every` how long `what` has been running,
    /// so a step whose output is kept never sits on one line for minutes.
    pub fn heartbeat<T>(&self, what: &str, every: Duration, work: impl FnOnce() -> T) -> T {
        let (done, beat) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let started = Instant::now();
                // Ends when `done` is dropped, at once: `recv_timeout` wakes on it.
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = beat.recv_timeout(every) {
                    self.status("Running", &format!("{what}: {} so far", elapsed(started)));
                }
            });
            let result = work();
            drop(done);
            result
        })
    }

    /// A group of lines (see [`Reporter::begin_group`]) that ends when the guard drops.
    pub fn group(&self, name: &str) -> Group<'_> {
        self.begin_group(name);
        Group { reporter: self }
    }
}

/// A long step under way; see `progress` on `dyn Reporter`.
pub struct Progress<'a> {
    reporter: &'a dyn Reporter,
    what: String,
    started: Instant,
}

impl Progress<'_> {
    /// `Finished WHAT in 1.2s`, or `Failed WHAT after 1.2s`.
    pub fn finish(self, ok: bool) {
        let secs = self.started.elapsed().as_secs_f64();
        if ok {
            self.reporter.status("Finished", &format!("{} in {secs:.1}s", self.what));
        } else {
            self.reporter.failed("Failed", &format!("{} after {secs:.1}s", self.what));
        }
    }
}

/// Whole seconds under a minute (`45s`), minutes and seconds above (`6m 30s`).
fn elapsed(started: Instant) -> String {
    let secs = started.elapsed().as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        _ => format!("{}m {:02}s", secs / 60, secs % 60),
    }
}

/// An open group; see `group` on `dyn Reporter`.
pub struct Group<'a> {
    reporter: &'a dyn Reporter,
}

impl Drop for Group<'_> {
    fn drop(&mut self) {
        self.reporter.end_group();
    }
}

/// A reporter that says nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn status(&self, _: &str, _: &str) {}
    fn note(&self, _: &str) {}
    fn warn(&self, _: &str) {}
}

/// Keeps every line, for callers that show them later (and for tests).
#[derive(Debug, Default)]
pub struct Recorder {
    lines: std::sync::Mutex<Vec<String>>,
}

impl Recorder {
    /// The lines so far, as `verb message`, `note: message` or `warning: message`.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }

    fn push(&self, line: String) {
        if let Ok(mut lines) = self.lines.lock() {
            lines.push(line);
        }
    }
}

impl Reporter for Recorder {
    fn status(&self, verb: &str, message: &str) {
        self.push(format!("{verb} {message}"));
    }
    fn note(&self, message: &str) {
        self.push(format!("note: {message}"));
    }
    fn warn(&self, message: &str) {
        self.push(format!("warning: {message}"));
    }
    fn problem(&self, file: Option<&Path>, message: &str) {
        match file {
            Some(file) => self.push(format!("problem: {}: {message}", file.display())),
            None => self.push(format!("problem: {message}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_step_says_how_long_it_has_been_running_and_stops_when_it_ends() {
        let recorder = Recorder::default();
        let out: &dyn Reporter = &recorder;
        let answer = out.heartbeat("`cargo clippy`", Duration::from_millis(100), || {
            std::thread::sleep(Duration::from_millis(350));
            42
        });
        assert_eq!(answer, 42);
        let lines = recorder.lines();
        assert!((2..=4).contains(&lines.len()), "{lines:?}");
        assert!(lines.iter().all(|l| l == "Running `cargo clippy`: 0s so far"), "{lines:?}");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(recorder.lines().len(), lines.len(), "beats after the step ended");
    }
}

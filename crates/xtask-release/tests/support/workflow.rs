//! Reading GitHub Actions workflows the way the tests need them: each job's text, the
//! commands of its `run:` steps, and a command's words as a shell splits them.

/// The text of one job: its key's line and the lines under it, up to the next key at
/// the jobs' indentation.
pub fn job(workflow: &str, name: &str) -> String {
    let key = format!("  {name}:");
    let mut lines = workflow.lines().skip_while(|l| *l != key);
    let first = lines.next().unwrap_or_else(|| panic!("no job {name}"));
    let body = lines.take_while(|l| l.is_empty() || l.starts_with("   ") || l.starts_with("  #"));
    std::iter::once(first).chain(body).collect::<Vec<_>>().join("\n")
}

/// The commands of every `run:` step, one per line, from plain and block scalars.
pub fn run_commands(yaml: &str) -> Vec<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let mut commands = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let key = line.trim_start().trim_start_matches("- ");
        i += 1;
        let Some(value) = key.strip_prefix("run:") else { continue };
        let value = value.trim();
        if value.starts_with('|') || value.starts_with('>') {
            let indent = line.len() - line.trim_start().len();
            while i < lines.len() && (lines[i].trim().is_empty() || indentation(lines[i]) > indent) {
                commands.push(lines[i].trim().to_string());
                i += 1;
            }
        } else {
            commands.push(unquote(value).to_string());
        }
    }
    commands.retain(|c| !c.is_empty() && !c.starts_with('#'));
    commands
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote).and_then(|v| v.strip_suffix(quote)) {
            return inner;
        }
    }
    value
}

/// Splits a command line into words as a POSIX shell would for the simple forms used
/// here: spaces separate, double or single quotes group.
pub fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut in_word = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (None, c) => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// One `run:` step: its job, the `if:` of the job and of the step, its `env:` and its
/// commands.
#[derive(Debug, Clone)]
pub struct Step {
    pub job: String,
    pub job_if: Option<String>,
    pub step_if: Option<String>,
    pub env: Vec<(String, String)>,
    pub commands: Vec<String>,
}

/// Every `run:` step of every job, in order (steps at the layout the templates use:
/// jobs at two spaces, steps at six).
pub fn steps(yaml: &str) -> Vec<Step> {
    let jobs: Vec<String> = yaml
        .lines()
        .skip_while(|l| *l != "jobs:")
        .filter_map(|l| l.strip_prefix("  ").and_then(|l| l.strip_suffix(':')))
        .filter(|name| !name.starts_with([' ', '#']))
        .map(String::from)
        .collect();
    let mut out = Vec::new();
    for name in jobs {
        let text = job(yaml, &name);
        let (head, body) = text.split_once("\n    steps:\n").unwrap_or((&text, ""));
        let job_if = value(head, "    if:");
        for step in body.split("\n      - ").map(|s| format!("      - {}", s.trim_start_matches("      - "))) {
            let commands = run_commands(&step);
            if commands.is_empty() {
                continue;
            }
            let step_if = step
                .lines()
                .find_map(|l| l.trim_start().trim_start_matches("- ").strip_prefix("if:"))
                .map(|v| v.trim().to_string());
            let mut env = Vec::new();
            let mut in_env = false;
            for line in step.lines() {
                if line.trim_start() == "env:" {
                    in_env = true;
                } else if in_env && indentation(line) >= 10 {
                    if let Some((k, v)) = line.trim().split_once(':') {
                        env.push((k.trim().to_string(), v.trim().to_string()));
                    }
                } else {
                    in_env = false;
                }
            }
            out.push(Step { job: name.clone(), job_if: job_if.clone(), step_if, env, commands });
        }
    }
    out
}

fn value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| l.strip_prefix(key)).map(|v| v.trim().to_string())
}

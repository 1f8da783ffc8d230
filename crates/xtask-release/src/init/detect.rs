//! What `init` reads off a repository, as pure functions of its facts: the tag prefix its
//! release tags use, the binaries that ship, and how the workflows are filled in.

use crate::workspace::Member;

/// The prefix most release tags use: for each tag, what comes before the semver version
/// that ends it (`v1.2.3` gives `v`, `0.115.0` gives ``, `app-v2.0.0` gives `app-v`).
/// `None` when no tag ends in a version. A tie goes to the prefix of the newest version.
pub fn tag_prefix(tags: &[String]) -> Option<String> {
    let mut counts: Vec<(String, usize, semver::Version)> = Vec::new();
    for tag in tags {
        let Some((prefix, version)) = split_tag(tag) else { continue };
        match counts.iter_mut().find(|(p, _, _)| *p == prefix) {
            Some((_, n, newest)) => {
                *n += 1;
                if version > *newest {
                    *newest = version;
                }
            }
            None => counts.push((prefix.to_string(), 1, version)),
        }
    }
    counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| a.2.cmp(&b.2))).map(|(prefix, _, _)| prefix)
}

/// `v1.2.3` -> (`v`, 1.2.3): the shortest prefix after which the rest is a version.
fn split_tag(tag: &str) -> Option<(&str, semver::Version)> {
    tag.char_indices()
        .filter(|(at, c)| c.is_ascii_digit() && (*at == 0 || !tag[..*at].ends_with(|c: char| c.is_ascii_digit())))
        .find_map(|(at, _)| semver::Version::parse(&tag[at..]).ok().map(|v| (&tag[..at], v)))
}

/// The binaries that ship by default, as `(package, bin)`: the rule `build-matrix` uses
/// without a configured `bins` (a published package's main binary; an unpublished
/// package's binaries stay home).
pub fn shipped_bins(members: &[Member]) -> Vec<(String, String)> {
    crate::dist::assets::default_shipped(members).0.into_iter().map(|s| (s.package, s.bin)).collect()
}

/// The tag pattern of the release workflow's trigger: `v*`, or `[0-9]*` for tags with no
/// prefix (so that branch-like tags do not start a release).
pub fn tag_glob(prefix: &str) -> String {
    if prefix.is_empty() { "[0-9]*".into() } else { format!("{prefix}*") }
}

/// What fills a workflow template.
pub struct Vars<'a> {
    pub tag_prefix: &'a str,
    pub test_command: &'a [String],
    /// The job that builds with the declared rust-version is left out when there is none.
    pub rust_version: Option<&'a str>,
    /// The command that builds the xtask (`cargo build --package xtask --locked`).
    pub build_xtask: &'a str,
}

/// Fills a workflow template: the tag pattern, the test command, the xtask's build, and
/// the job that builds with the declared rust-version (left out when there is none).
pub fn render_workflow(template: &str, vars: &Vars) -> String {
    let mut out = String::new();
    let mut in_msrv = false;
    for line in template.split_inclusive('\n') {
        match line.trim_end() {
            "# @MSRV_BEGIN@" => in_msrv = true,
            "# @MSRV_END@" => in_msrv = false,
            _ if in_msrv && vars.rust_version.is_none() => {}
            _ => out.push_str(line),
        }
    }
    out.replace("@TAG_GLOB@", &tag_glob(vars.tag_prefix))
        .replace("@TEST_COMMAND@", &vars.test_command.join(" "))
        .replace("@RUST_VERSION@", vars.rust_version.unwrap_or_default())
        .replace("@BUILD_XTASK@", vars.build_xtask)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Publish;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn member(name: &str, bins: &[&str], publish: Publish, default_run: Option<&str>) -> Member {
        Member {
            name: name.into(),
            version: semver::Version::new(1, 0, 0),
            manifest_path: format!("/ws/{name}/Cargo.toml").into(),
            publish,
            deps: vec![],
            bins: bins.iter().map(|b| b.to_string()).collect(),
            default_run: default_run.map(String::from),
            has_lib: false,
        }
    }

    /// A helper binary in an unpublished package of its own (a terminal-reset stub) stays
    /// home; a package published to another registry ships; `default-run` is the main
    /// binary: the rule build-matrix uses, so init's `bins` agree with it.
    #[test]
    fn only_published_packages_ship_their_main_binary() {
        let members = [
            member("tool", &["tool", "tool-schema"], Publish::Anywhere, None),
            member("tool-term-reset", &["term-reset"], Publish::Never, None),
            member("agent", &["agent"], Publish::Only(vec!["corp".into()]), None),
            member("runner", &["run", "runner-gen"], Publish::Anywhere, Some("run")),
        ];
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(p, b)| (p.to_string(), b.to_string())).collect()
        };
        assert_eq!(shipped_bins(&members), pairs(&[("tool", "tool"), ("agent", "agent"), ("runner", "run")]));
    }

    #[test]
    fn prefixes() {
        assert_eq!(tag_prefix(&tags(&["v0.1.0", "v0.2.0", "nightly"])), Some("v".into()));
        assert_eq!(tag_prefix(&tags(&["0.114.0", "0.115.0", "v0.1.0"])), Some("".into()));
        assert_eq!(tag_prefix(&tags(&["app-v1.0.0", "app-v1.1.0"])), Some("app-v".into()));
        assert_eq!(tag_prefix(&tags(&["release-2", "nightly"])), None);
        assert_eq!(tag_prefix(&[]), None);
        assert_eq!(tag_glob(""), "[0-9]*");
        assert_eq!(tag_glob("v"), "v*");
    }
}

//! The registry's sparse index over HTTP: where a crate's file lives, fetching it past
//! caches, the versions and checksums it lists, and where a `.crate` is downloaded from
//! (its `config.json`). The registry is the source of truth for what is published, so
//! every decision to skip or wait reads from here.

use std::time::{Duration, SystemTime};

use anyhow::{Context as _, Result, bail};
use semver::Version;
use serde::Deserialize;

use crate::ops::http::{self, Size};
use crate::ops::retry::{self, Backoff, Retries};

/// One line of a crate's index file; the fields we need of it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Entry {
    pub vers: String,
    pub cksum: String,
    #[serde(default)]
    pub yanked: bool,
}

pub struct Index {
    /// Ends with `/`, without cargo's `sparse+` prefix.
    base: String,
    agent: ureq::Agent,
}

impl Index {
    pub fn new(url: &str) -> Index {
        let mut base = url.strip_prefix("sparse+").unwrap_or(url).to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        let agent = http::agent(Size::Small);
        Index { base, agent }
    }

    pub fn file_url(&self, name: &str) -> String {
        format!("{}{}", self.base, path(name))
    }

    /// The versions of `name` on the registry (none when it has never been published),
    /// trying again on server errors, rate limits and dropped connections.
    pub fn versions(&self, name: &str) -> Result<Vec<Entry>> {
        let backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(5), 6);
        let mut retries = Retries::new(backoff, http::limits().max_retry_wait);
        loop {
            match self.fetch(name) {
                Ok(entries) => return Ok(entries),
                Err(Fetch::Transient(why, asked)) if retry::beyond_bound(asked).is_some() => {
                    let asked = asked.unwrap_or_default();
                    let who = format!("{} ({why})", self.file_url(name));
                    bail!(retry::too_long(&who, asked, SystemTime::now()));
                }
                Err(Fetch::Transient(why, asked)) => match retries.next(asked) {
                    Some(delay) => std::thread::sleep(delay),
                    None => bail!("cannot read {} from the index: {why}; try again later", self.file_url(name)),
                },
                Err(Fetch::Fatal(err)) => return Err(err),
            }
        }
    }

    /// The entry for `name` at `version`, if the registry lists it.
    pub fn find(&self, name: &str, version: &semver::Version) -> Result<Option<Entry>> {
        let wanted = version.to_string();
        Ok(self.versions(name)?.into_iter().find(|e| e.vers == wanted))
    }

    fn fetch(&self, name: &str) -> Result<Vec<Entry>, Fetch> {
        let url = self.file_url(name);
        // Ask every cache on the way to revalidate: right after an upload a CDN may still
        // hold the previous file. A cache-busting query string would be ignored by CDNs
        // that do not key on it, and may be refused by a static origin.
        let response = self.agent.get(&url).header("Cache-Control", "no-cache").header("Pragma", "no-cache").call();
        let mut response = match response {
            Ok(response) => response,
            Err(err @ (ureq::Error::Io(_) | ureq::Error::Timeout(_) | ureq::Error::ConnectionFailed)) => {
                return Err(Fetch::Transient(http::describe(Size::Small, &err), None));
            }
            Err(err) => return Err(Fetch::Fatal(anyhow::Error::new(err).context(format!("cannot fetch {url}")))),
        };
        let status = response.status().as_u16();
        match status {
            200 => {}
            // Cargo treats these as "no such crate" too.
            404 | 410 | 451 => return Ok(Vec::new()),
            _ if retry::is_retryable_status(status) => {
                let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
                let asked = retry::requested_wait(header, "", SystemTime::now());
                return Err(Fetch::Transient(format!("HTTP {status}"), asked));
            }
            _ => {
                return Err(Fetch::Fatal(anyhow::anyhow!(
                    "{url} answered HTTP {status}; check the index URL (--index-url or registries.<name>.index)"
                )));
            }
        }
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|err| Fetch::Transient(http::describe(Size::Small, &err), None))?;
        parse(&text).with_context(|| format!("{url} is not a sparse index file")).map_err(Fetch::Fatal)
    }
}

enum Fetch {
    /// Why, and the wait the index asked for.
    Transient(String, Option<Duration>),
    Fatal(anyhow::Error),
}

/// The path of a crate's file under the index root: `1/a`, `2/ab`, `3/a/abc`,
/// `ab/cd/abcd...`, all lowercase.
pub fn path(name: &str) -> String {
    let name = name.to_ascii_lowercase();
    match name.len() {
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

/// What answers at an index URL is not a registry: its `config.json` is missing or not JSON.
#[derive(Debug)]
pub(crate) struct NoRegistry(String);

impl std::fmt::Display for NoRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoRegistry {}

/// The registry's download URL template, from its `config.json`.
pub(crate) fn download_template(index_url: &str) -> Result<String> {
    let url = format!("{}/config.json", index_url.trim_end_matches('/'));
    let mut response = http::agent(Size::Small)
        .get(&url)
        .call()
        .map_err(|err| anyhow::anyhow!("cannot read {url}: {}", http::describe(Size::Small, &err)))?;
    // Every sparse index serves its config.json: without one, whatever answers (a web
    // server's 404 page, JSON or not) is not a registry, and its body says nothing of use.
    match response.status().as_u16() {
        200 => {}
        status => {
            return Err(NoRegistry(format!(
                "no registry answers at {index_url}: {url} answered HTTP {status}, where a sparse index serves \
                 its config.json; check the index URL (--index-url, or `registries.NAME.index` in cargo's config)"
            ))
            .into());
        }
    }
    let body = response.body_mut().read_to_string().with_context(|| format!("cannot read {url}"))?;
    let Ok(config) = serde_json::from_str::<serde_json::Value>(&body) else {
        return Err(NoRegistry(format!("no registry answers at {index_url}: {url} is not JSON")).into());
    };
    match config.get("dl").and_then(|d| d.as_str()) {
        Some(dl) => Ok(dl.to_string()),
        None => bail!("{url} has no `dl` key"),
    }
}

/// Cargo's rule: markers are filled in, and a template without any gets the crate and
/// version appended.
pub(crate) fn crate_url(template: &str, name: &str, version: &Version) -> String {
    let lower = name.to_ascii_lowercase();
    let prefix = path(&lower);
    let prefix = prefix.rsplit_once('/').map_or("", |(dir, _)| dir);
    let markers = ["{crate}", "{version}", "{prefix}", "{lowerprefix}", "{sha256-checksum}"];
    if !markers.iter().any(|m| template.contains(m)) {
        return format!("{}/{name}/{version}/download", template.trim_end_matches('/'));
    }
    template
        .replace("{crate}", name)
        .replace("{version}", &version.to_string())
        .replace("{prefix}", prefix)
        .replace("{lowerprefix}", &prefix.to_ascii_lowercase())
}

/// An index file: one JSON object per line.
pub fn parse(text: &str) -> Result<Vec<Entry>> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .enumerate()
        .map(|(n, line)| serde_json::from_str(line).with_context(|| format!("line {} is not an index entry", n + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_by_name_length() {
        assert_eq!(path("a"), "1/a");
        assert_eq!(path("ab"), "2/ab");
        assert_eq!(path("abc"), "3/a/abc");
        assert_eq!(path("abcd"), "ab/cd/abcd");
        assert_eq!(path("Serde_JSON"), "se/rd/serde_json");
    }

    #[test]
    fn base_url_forms() {
        let index = Index::new("sparse+http://127.0.0.1:1/index");
        assert_eq!(index.file_url("cargo"), "http://127.0.0.1:1/index/ca/rg/cargo");
        assert_eq!(Index::new("https://index.crates.io/").file_url("a"), "https://index.crates.io/1/a");
    }

    #[test]
    fn parses_entries_and_ignores_other_fields() {
        let text = concat!(
            r#"{"name":"a","vers":"0.1.0","deps":[],"cksum":"aa","features":{},"yanked":false,"v":2}"#,
            "\n\n",
            r#"{"name":"a","vers":"0.2.0","deps":[],"cksum":"bb","features":{},"yanked":true}"#,
            "\n"
        );
        let entries = parse(text).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!((entries[1].vers.as_str(), entries[1].cksum.as_str(), entries[1].yanked), ("0.2.0", "bb", true));
        assert!(parse("{\"vers\":\"1\"}").is_err());
    }

    #[test]
    fn download_urls_as_cargo_makes_them() {
        let v = semver::Version::new(1, 2, 3);
        assert_eq!(
            crate_url("https://static.crates.io/crates", "Serde", &v),
            "https://static.crates.io/crates/Serde/1.2.3/download"
        );
        assert_eq!(
            crate_url("http://r/api/v1/crates/{crate}/{version}/download", "abc", &v),
            "http://r/api/v1/crates/abc/1.2.3/download"
        );
        assert_eq!(
            crate_url("http://r/{prefix}/{crate}-{version}.crate", "serde", &v),
            "http://r/se/rd/serde-1.2.3.crate"
        );
    }
}

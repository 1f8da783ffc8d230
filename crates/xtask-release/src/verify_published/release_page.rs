//! The release page part of `verify-published`: the release for the tag exists, is not
//! a draft, is a pre-release exactly when the version is, has notes, and holds exactly
//! the promised assets, their `.sha256` files and the sums file, every asset downloaded
//! (streamed, a few at once) and checked against its `.sha256` and the sums file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context as _, Result};
use semver::Version;
use xshell::Shell;

use super::{Check, Finding};
use crate::dist::assets;
use crate::dist::checksum::format as sums;
use crate::github::client::{Client, Release, RemoteAsset, Token};
use crate::github::repo;
use crate::ops::sha;
use crate::report::Reporter;
use crate::workspace::Workspace;

/// Downloads at once: enough to overlap latency, few enough to keep memory bounded.
const AT_ONCE: usize = 4;

pub struct Options<'a> {
    /// The combined sums file's name.
    pub sums: &'a str,
    /// Where to keep the downloaded assets, if anywhere.
    pub keep: Option<&'a Path>,
}

pub fn check(
    sh: &Shell,
    ws: &Workspace,
    version: &Version,
    tag: &str,
    options: &Options,
    reporter: &dyn Reporter,
) -> Vec<Finding> {
    match check_release(sh, ws, version, tag, options, reporter) {
        Ok(findings) => findings,
        // Not a finding about the release: no repository or token to look with, or GitHub
        // did not answer. The error says what to configure.
        Err(err) => vec![Finding::unchecked(Check::Release, format!("release {tag}"), format!("{err:#}"))],
    }
}

fn check_release(
    sh: &Shell,
    ws: &Workspace,
    version: &Version,
    tag: &str,
    options: &Options,
    reporter: &dyn Reporter,
) -> Result<Vec<Finding>> {
    let slug = repo::slug(sh, &ws.config.remote)?;
    let client = Client::new(&slug, Token::from_env()?, reporter);
    let subject = format!("release {tag}");
    let release = match client.release_by_tag(tag)? {
        Some(release) => release,
        None => match client.draft_by_tag(tag)? {
            Some(draft) => draft,
            None => {
                return Ok(vec![Finding::problem(
                    Check::Release,
                    subject,
                    format!("there is no release for {tag} in {slug}"),
                )]);
            }
        },
    };
    let mut findings = vec![page(&release, version, &subject)];
    findings.extend(anchored(ws, &slug, tag, &release));
    let promised = assets::load(sh, ws, version)?;
    let remote = client.assets(&release)?;
    findings.extend(contents(
        &client,
        &promised.assets.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
        &remote,
        options,
    )?);
    Ok(findings)
}

/// The release's own fields.
fn page(release: &Release, version: &Version, subject: &str) -> Finding {
    let mut problems = Vec::new();
    if release.draft {
        problems.push("is a draft; publish it".to_string());
    }
    let pre = !version.pre.is_empty();
    if release.prerelease != pre {
        problems.push(if pre {
            format!("is not marked as a pre-release, but {version} is one")
        } else {
            format!("is marked as a pre-release, but {version} is not one")
        });
    }
    if release.body.as_deref().is_none_or(|b| b.trim().is_empty()) {
        problems.push("has no release notes".into());
    }
    if problems.is_empty() {
        let url = if release.html_url.is_empty() { String::new() } else { format!(" ({})", release.html_url) };
        Finding::ok(Check::Release, subject, format!("published, pre-release {pre}, has notes{url}"))
    } else {
        Finding::problem(Check::Release, subject, problems.join("; "))
    }
}

/// The notes' `audit-head` line against the local audit trail, when the trail records
/// making this release: a trail rewritten with its `.head` no longer matches them.
fn anchored(ws: &Workspace, slug: &str, tag: &str, release: &Release) -> Option<Finding> {
    let log = crate::audit::log_path(ws);
    let compared = crate::audit::anchor::check_release(&log, &format!("{slug} {tag}"), release.body.as_deref()?)?;
    let subject = format!("release {tag} notes");
    Some(match compared {
        Ok(detail) => Finding::ok(Check::Release, subject, format!("audit-head: {detail}")),
        Err(err) => Finding::problem(Check::Release, subject, format!("{err:#}")),
    })
}

/// Exactly the expected assets, each verified against its `.sha256` asset and the sums file.
fn contents(client: &Client, promised: &[String], remote: &[RemoteAsset], options: &Options) -> Result<Vec<Finding>> {
    let mut findings = Vec::new();
    let present: BTreeMap<&str, &RemoteAsset> = remote.iter().map(|a| (a.name.as_str(), a)).collect();
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for name in promised {
        expected.insert(name.clone());
        expected.insert(format!("{name}.sha256"));
    }
    if !promised.is_empty() {
        expected.insert(options.sums.to_string());
    }
    for name in &expected {
        match present.get(name.as_str()) {
            None => findings.push(Finding::problem(Check::Release, name, "is missing from the release")),
            Some(asset) if !asset.is_complete() => {
                findings.push(Finding::problem(Check::Release, name, "is an upload that did not finish"))
            }
            Some(_) => {}
        }
    }
    for asset in remote.iter().filter(|a| !expected.contains(&a.name)) {
        findings.push(Finding::problem(Check::Release, &asset.name, "is on the release but was not promised"));
    }

    // The small checksum files, read whole.
    let mut sidecars: BTreeMap<String, String> = BTreeMap::new();
    let sums_file = match present.get(options.sums).filter(|_| !promised.is_empty()) {
        Some(asset) => read_sums(client, asset)
            .map_err(|err| findings.push(Finding::problem(Check::Release, options.sums, format!("{err:#}"))))
            .ok(),
        None => None,
    };
    for name in promised {
        let sidecar = format!("{name}.sha256");
        if let Some(asset) = present.get(sidecar.as_str()) {
            match read_sums(client, asset).map(|entries| entries.into_iter().find(|(n, _)| n == name)) {
                Ok(Some((_, hex))) => {
                    sidecars.insert(name.clone(), hex);
                }
                Ok(None) => {
                    findings.push(Finding::problem(Check::Release, &sidecar, format!("has no line for {name}")))
                }
                Err(err) => findings.push(Finding::problem(Check::Release, &sidecar, format!("{err:#}"))),
            }
        }
    }

    // The assets themselves, streamed through SHA-256 a few at once.
    let to_fetch: Vec<&RemoteAsset> =
        promised.iter().filter_map(|n| present.get(n.as_str()).copied()).filter(|a| a.is_complete()).collect();
    if let Some(dir) = options.keep {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let digests = download_all(client, &to_fetch, options.keep);
    for (asset, digest) in to_fetch.iter().zip(digests) {
        let name = &asset.name;
        let digest = match digest {
            Ok(digest) => digest,
            Err(err) => {
                findings.push(Finding::problem(Check::Release, name, format!("{err:#}")));
                continue;
            }
        };
        let mut problems = Vec::new();
        match sidecars.get(name) {
            Some(hex) if hex.eq_ignore_ascii_case(&digest) => {}
            Some(hex) => problems.push(format!("its bytes (sha256 {digest}) differ from {name}.sha256 ({hex})")),
            None => {}
        }
        match sums_file.as_ref().map(|entries| entries.iter().find(|(n, _)| n == name)) {
            Some(Some((_, hex))) if !hex.eq_ignore_ascii_case(&digest) => {
                problems.push(format!("its bytes (sha256 {digest}) differ from {} ({hex})", options.sums))
            }
            Some(None) => problems.push(format!("has no line in {}", options.sums)),
            _ => {}
        }
        if problems.is_empty() {
            findings.push(Finding::ok(
                Check::Release,
                name,
                format!("downloaded, sha256 {digest} matches its checksums"),
            ));
        } else {
            findings.push(Finding::problem(Check::Release, name, problems.join("; ")));
        }
    }
    Ok(findings)
}

/// The `(name, hex)` lines of a checksum asset.
fn read_sums(client: &Client, asset: &RemoteAsset) -> Result<Vec<(String, String)>> {
    let bytes = client.download(asset)?;
    let text = String::from_utf8(bytes).with_context(|| format!("{} is not text", asset.name))?;
    Ok(sums::parse(&text, &asset.name)?.into_iter().map(|e| (e.name, e.digest.to_string())).collect())
}

/// The sha256 of each asset, in order, downloaded by up to [`AT_ONCE`] threads, each
/// streaming into the hasher (and the kept file) a buffer at a time.
fn download_all(client: &Client, assets: &[&RemoteAsset], keep: Option<&Path>) -> Vec<Result<String>> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Result<String>>>> = Mutex::new(assets.iter().map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..AT_ONCE.min(assets.len()) {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut next = next.lock().unwrap_or_else(|e| e.into_inner());
                        let i = *next;
                        *next += 1;
                        i
                    };
                    let Some(asset) = assets.get(i) else { break };
                    let digest = download_one(client, asset, keep);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(digest);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(anyhow::anyhow!("not downloaded"))))
        .collect()
}

fn download_one(client: &Client, asset: &RemoteAsset, keep: Option<&Path>) -> Result<String> {
    let mut sink = HashSink { hasher: sha::Hasher::new(), file: None };
    if let Some(dir) = keep {
        let path = dir.join(&asset.name);
        sink.file = Some(std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?);
    }
    client.download_to(asset, &mut sink)?;
    Ok(sink.hasher.finish().to_string())
}

/// Hashes what is written, and copies it to a file when one is given.
struct HashSink {
    hasher: sha::Hasher,
    file: Option<std::fs::File>,
}

impl std::io::Write for HashSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.hasher.update(buf);
        if let Some(file) = &mut self.file {
            file.write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

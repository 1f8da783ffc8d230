//! `github-release`: create the release for a tag and upload every asset. Re-running is
//! safe: an existing release is reused, uploaded assets are skipped when their content is
//! the same, and a same-named asset with other content stops the run before any upload.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use semver::Version;
use serde::Serialize;
use xshell::Shell;

use crate::changelog;
use crate::github::client::{Client, NewRelease, Release, RemoteAsset, Token};
use crate::github::repo;
use crate::ops::sha;
use crate::report::Reporter;
use crate::workspace::Workspace;

/// Which release to make, with which assets.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Options {
    /// The tag [default: $GITHUB_REF_NAME when it names a tag, else the workspace's].
    pub tag: Option<String>,
    /// Directory whose files are uploaded as assets.
    pub assets: Option<PathBuf>,
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    pub fn tag(mut self, tag: impl Into<String>) -> Options {
        self.tag = Some(tag.into());
        self
    }

    pub fn assets(mut self, dir: impl Into<PathBuf>) -> Options {
        self.assets = Some(dir.into());
        self
    }
}

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Plan {
    /// `owner/name`.
    pub repo: String,
    /// The API the release is created through (`GITHUB_API_URL`, or GitHub's).
    pub api: String,
    pub tag: String,
    pub version: Version,
    pub name: String,
    pub draft: bool,
    pub prerelease: bool,
    /// The changelog section for the version.
    pub body: String,
    pub assets: Vec<Asset>,
    /// A last line for the release notes, after a blank line, that is not part of the plan (nor of
    /// its digest): the command line puts the audit trail's head there.
    #[serde(skip)]
    pub(crate) trailer: Option<String>,
}

/// A file to upload.
#[derive(Debug, Clone, Serialize)]
pub struct Asset {
    pub name: String,
    pub path: Utf8PathBuf,
    pub size: u64,
    pub sha256: String,
}

/// The facts (tag, version, changelog section, asset files) and the plan from them.
pub fn plan(sh: &Shell, ws: &Workspace, options: &Options) -> Result<Plan> {
    let config = &ws.config;
    let tag = match &options.tag {
        Some(tag) => tag.clone(),
        None => match super::actions_tag() {
            Some(tag) => tag,
            None => config.tag_for(&crate::version::current(ws)?),
        },
    };
    let version = config.version_of(&tag).with_context(|| {
        format!("tag `{tag}` is not `{}` followed by a semver version; pass --tag", config.tag_prefix)
    })?;
    // The repository first: without one there is no release to make, whatever the tag.
    let repo = repo::slug(sh, &config.remote)?;
    check_tag_exists(sh, &config.remote, &tag)?;
    let assets = match &options.assets {
        Some(dir) => {
            let assets = read_assets(dir)?;
            check_asset_versions(&assets, &tag, &version)?;
            assets
        }
        None => Vec::new(),
    };
    Ok(Plan {
        repo,
        api: super::client::api_base(),
        name: config.render(&config.github.name, &version)?,
        draft: config.github.draft,
        prerelease: !version.pre.is_empty(),
        body: changelog::release_notes(sh, ws, &version)?,
        assets,
        tag,
        version,
        trailer: None,
    })
}

/// A release is of a tag that exists: in this clone, or at least on `remote`. GitHub
/// would otherwise make the tag itself, at the head of the default branch, which is not
/// what was released.
fn check_tag_exists(sh: &Shell, remote: &str, tag: &str) -> Result<()> {
    use crate::ops::git;
    if git::tag_exists(sh, tag)? || (git::has_remote(sh, remote)? && git::remote_tag(sh, remote, tag)?.is_some()) {
        return Ok(());
    }
    bail!(
        "tag {tag} does not exist, in this clone or on `{remote}`; a GitHub release is made for an existing tag: \
         create and push it with `tag --execute --push`, or pass --tag with a tag that exists"
    )
}

impl Plan {
    /// Ends the release notes with `line`, after a blank line, when the release is created; `line` is not part
    /// of the plan (the command line puts the audit trail's head there).
    pub fn with_trailer(mut self, line: impl Into<String>) -> Plan {
        self.trailer = Some(line.into());
        self
    }
}

/// Every file in `dir`, sorted by name, with its size and sha256.
/// Refuses assets whose names carry another version than the tag's (`tool-0.9.0-linux`
/// for v1.0.0): a stale file left in the directory would otherwise be published as this
/// release's.
fn check_asset_versions(assets: &[Asset], tag: &str, version: &Version) -> Result<()> {
    let wrong: Vec<String> = assets
        .iter()
        .filter_map(|a| other_version(&a.name, version).map(|found| format!("{} ({found})", a.name)))
        .collect();
    if !wrong.is_empty() {
        bail!(
            "{} carry another version than the tag {tag} ({version}): {}; remove them from the \
             assets directory, or build the assets for {version}",
            if wrong.len() == 1 { "this asset's name seems to" } else { "these assets' names seem to" },
            wrong.join(", ")
        );
    }
    Ok(())
}

/// The first `X.Y.Z` in `name` that is not `version`, if any. A version is a maximal
/// run of three dot-separated numbers, so `11.0.0` is not read as `1.0.0`.
fn other_version(name: &str, version: &Version) -> Option<String> {
    let bytes = name.as_bytes();
    let wanted = version.to_string();
    let mut i = 0;
    while i < bytes.len() {
        let boundary = i == 0 || !(bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b'.');
        if boundary && bytes[i].is_ascii_digit() {
            let mut end = i;
            let mut parts = 0;
            loop {
                let start = end;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                if end == start {
                    break;
                }
                parts += 1;
                if parts == 3 || end >= bytes.len() || bytes[end] != b'.' {
                    break;
                }
                end += 1;
            }
            let found = &name[i..end];
            let core = format!("{}.{}.{}", version.major, version.minor, version.patch);
            if parts == 3 && !(found == core && name[i..].starts_with(&wanted)) {
                return Some(found.to_string());
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    None
}

fn read_assets(dir: &std::path::Path) -> Result<Vec<Asset>> {
    let dir = Utf8Path::from_path(dir).with_context(|| format!("{} is not a UTF-8 path", dir.display()))?;
    let entries = std::fs::read_dir(dir).with_context(|| format!("cannot read the assets directory {dir}"))?;
    let mut assets = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read the assets directory {dir}"))?;
        let name = entry.file_name().into_string().map_err(|n| anyhow::anyhow!("{n:?} in {dir} is not UTF-8"))?;
        let path = dir.join(&name);
        if !entry.file_type()?.is_file() {
            bail!("{path} is not a file; the assets directory must hold only the files to upload");
        }
        assets.push((name, path));
    }
    assets.sort();
    let paths: Vec<_> = assets.iter().map(|(_, path)| path.clone().into_std_path_buf()).collect();
    let digests = sha::hash_files(&paths);
    assets
        .into_iter()
        .zip(digests)
        .map(|((name, path), digest)| {
            let digest = digest.with_context(|| format!("cannot read {path}"))?;
            let size = std::fs::metadata(&path).with_context(|| format!("cannot read {path}"))?.len();
            Ok(Asset { name, path, size, sha256: digest.to_string() })
        })
        .collect()
}

/// Creates the release (or finds the one an earlier run made) and uploads every asset
/// it does not have yet; a same-named asset with other content stops it before any upload.
pub fn execute(plan: &Plan, reporter: &dyn Reporter) -> Result<Outcome> {
    let client = Client::at(&plan.api, &plan.repo, Token::from_env()?, reporter);
    let (release, created) = find_or_create(&client, plan, reporter)?;
    let uploaded = client.assets(&release)?;
    // Compare every asset before changing any, so a mismatch leaves the release as it was.
    let mut missing = Vec::new();
    let mut broken = Vec::new();
    let mut differing = Vec::new();
    let mut done = Vec::new();
    for asset in &plan.assets {
        match uploaded.iter().find(|u| u.name == asset.name) {
            None => missing.push(asset),
            // An upload cut short leaves an asset in state "starter" that blocks the name.
            Some(remote) if !remote.is_complete() => {
                broken.push(remote);
                missing.push(asset);
            }
            Some(remote) if same_content(&client, asset, remote)? => {
                reporter.status("Skipping", &format!("{} (already uploaded)", asset.name));
                done.push(AssetOutcome::of(asset, AssetAction::Skipped));
            }
            Some(remote) => {
                differing.push(format!("{} ({} bytes here, {} uploaded)", asset.name, asset.size, remote.size))
            }
        }
    }
    if !differing.is_empty() {
        bail!(
            "the release {} already has assets of the same name with other content: {}; \
             delete them from the release if the new files are right, then re-run",
            plan.tag,
            differing.join(", ")
        );
    }
    for remote in broken {
        reporter.status("Deleting", &format!("{} (an upload that did not finish)", remote.name));
        client.delete_asset(remote)?;
    }
    for asset in missing {
        upload(&client, &release, asset, reporter)?;
        done.push(AssetOutcome::of(asset, AssetAction::Uploaded));
    }
    reporter.status("Released", &format!("{} with {}", plan.tag, crate::output::plural(plan.assets.len(), "asset")));
    // In the plan's order, whichever way each asset went.
    done.sort_by_key(|a| plan.assets.iter().position(|p| p.name == a.name));
    Ok(Outcome {
        repo: plan.repo.clone(),
        tag: plan.tag.clone(),
        url: release.html_url,
        id: release.id,
        release: if created { ReleaseAction::Created } else { ReleaseAction::Reused },
        assets: done,
    })
}

/// What an executed `github-release` did: the release and each asset.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    /// `owner/name`.
    pub repo: String,
    pub tag: String,
    /// The release's page.
    pub url: String,
    /// GitHub's id of the release.
    pub id: u64,
    /// Whether this run created the release or found it from an earlier run.
    pub release: ReleaseAction,
    pub assets: Vec<AssetOutcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReleaseAction {
    Created,
    Reused,
}

/// One asset of the release, and whether this run uploaded it.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct AssetOutcome {
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub action: AssetAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssetAction {
    /// Uploaded by this run (also when an earlier upload had not finished).
    Uploaded,
    /// Already on the release with the same content.
    Skipped,
}

impl AssetOutcome {
    fn of(asset: &Asset, action: AssetAction) -> AssetOutcome {
        AssetOutcome { name: asset.name.clone(), size: asset.size, sha256: asset.sha256.clone(), action }
    }
}

/// The release for the tag, published or draft, or a new one (then `true`).
fn find_or_create(client: &Client, plan: &Plan, reporter: &dyn Reporter) -> Result<(Release, bool)> {
    let existing = match client.release_by_tag(&plan.tag)? {
        Some(release) => Some(release),
        None => client.draft_by_tag(&plan.tag)?,
    };
    if let Some(release) = existing {
        reporter.status("Found", &format!("the release for {} in {}; adding missing assets", plan.tag, plan.repo));
        return Ok((release, false));
    }
    let release = client.create_release(&NewRelease {
        tag_name: &plan.tag,
        name: &plan.name,
        body: &crate::audit::anchor::append(&plan.body, plan.trailer.as_deref()),
        draft: plan.draft,
        prerelease: plan.prerelease,
    })?;
    reporter.status("Created", &format!("the release {} in {} {}", plan.tag, plan.repo, release.html_url));
    Ok((release, true))
}

fn upload(client: &Client, release: &Release, asset: &Asset, reporter: &dyn Reporter) -> Result<()> {
    reporter.status("Uploading", &format!("{} ({} bytes)", asset.name, asset.size));
    let bytes = std::fs::read(&asset.path).with_context(|| format!("cannot read {}", asset.path))?;
    if sha::hash_bytes(&bytes).to_string() != asset.sha256 {
        bail!("{} changed while the release was being made; re-run", asset.path);
    }
    let Err(err) = client.upload(release, &asset.name, &bytes) else { return Ok(()) };
    // A retried upload whose first try went through is refused as a duplicate: the
    // asset is there, and that is what was asked for.
    let landed = client.assets(release)?.into_iter().find(|u| u.name == asset.name && u.is_complete());
    match landed {
        Some(remote) if same_content(client, asset, &remote)? => Ok(()),
        _ => Err(err),
    }
}

/// Whether an uploaded asset holds the local file: by size, then by the digest GitHub
/// records, else by downloading it.
fn same_content(client: &Client, local: &Asset, remote: &RemoteAsset) -> Result<bool> {
    if remote.size != local.size {
        return Ok(false);
    }
    match remote.digest.as_deref().and_then(|d| d.strip_prefix("sha256:")) {
        Some(digest) => Ok(digest.eq_ignore_ascii_case(&local.sha256)),
        None => Ok(sha::hash_bytes(&client.download(remote)?).to_string() == local.sha256),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_names_with_another_version_are_found() {
        let v = Version::parse("1.0.0").unwrap();
        assert_eq!(other_version("tool-1.0.0-linux-amd64.tar.gz", &v), None);
        assert_eq!(other_version("SHA256SUMS", &v), None);
        assert_eq!(other_version("tool-v1.0.0-ubuntu-22.04", &v), None);
        assert_eq!(other_version("tool-0.9.0-linux-amd64", &v), Some("0.9.0".into()));
        assert_eq!(other_version("tool-11.0.0-linux", &v), Some("11.0.0".into()));
        assert_eq!(other_version("tool-1.0.0-linux-2.0.1", &v), Some("2.0.1".into()));
        let rc = Version::parse("1.0.0-rc.1").unwrap();
        assert_eq!(other_version("tool-1.0.0-rc.1-linux", &rc), None);
        assert_eq!(other_version("tool-1.0.0-linux", &rc), Some("1.0.0".into()));
    }
}

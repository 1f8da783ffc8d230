//! Carrying out a publish plan: a preflight over the whole set before anything is
//! uploaded, then the uploads by the route the plan chose (`order::Upload`): through the
//! registry's API (`pipeline`), or through `cargo publish` (`upload`) when only cargo can
//! get the token or the API's address, and what happened to each crate.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::Utf8PathBuf;
use serde::{Deserialize, Serialize};
use xshell::Shell;

use super::index::Index;
use super::metadata::{self, NewCrate};
use super::order::{Crate, Plan, State, Upload, Via};
use super::pace::RateLimit;
use super::pipeline::Pipeline;
use super::registry_config::Credential;
use super::same_files;
use super::upload::Uploads;
use super::verified;
use super::web_api::Api;
use crate::ops::sha;
use crate::report::Reporter;
use crate::workspace::Workspace;

pub struct Options {
    pub jobs: usize,
    pub index_timeout: Duration,
    pub retries: u32,
    pub rate_limit: RateLimit,
    pub index_wait: IndexWait,
    /// Fail rather than compile when no `--verify` record holds.
    pub require_verified: bool,
    /// The config's table, where an error names the key that changes a setting.
    pub table: &'static str,
}

/// When to wait for uploaded crates to show in the index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum IndexWait {
    /// Once, after the last upload: a dependent goes as soon as the registry took its
    /// dependencies (crates.io checks them in its database, not its index).
    #[default]
    End,
    /// After each upload, before anything that depends on it.
    Each,
}

impl std::str::FromStr for IndexWait {
    type Err = String;

    fn from_str(text: &str) -> Result<IndexWait, String> {
        match text {
            "end" => Ok(IndexWait::End),
            "each" => Ok(IndexWait::Each),
            _ => Err(format!("invalid index wait `{text}`: use `end` or `each`")),
        }
    }
}

/// A packaged crate as the preflight verified it: the `.crate` file, its sha256, and the
/// metadata cargo would send with it.
pub struct Package {
    pub path: Utf8PathBuf,
    pub sha256: String,
    pub metadata: NewCrate,
}

impl Package {
    /// The file's bytes, which must still be those the preflight checked.
    pub fn read(&self) -> Result<Vec<u8>> {
        let bytes =
            std::fs::read(&self.path).with_context(|| format!("cannot read the packaged crate {}", self.path))?;
        if sha::hash_bytes(&bytes).to_string() != self.sha256 {
            bail!(
                "{} changed after the preflight checked it (another cargo package?); run the same command again",
                self.path
            );
        }
        Ok(bytes)
    }
}

/// What happened to each crate of the plan, and the error that stopped the run, if any.
#[non_exhaustive]
pub struct Outcome {
    pub results: Vec<CrateResult>,
    pub error: Option<anyhow::Error>,
}

#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct CrateResult {
    pub name: String,
    pub version: semver::Version,
    pub status: Status,
    /// Wall time from the start of this crate's turn to its version showing in the index.
    pub seconds: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    Published,
    /// The registry already had this version with the same checksum.
    Skipped,
    Failed,
    /// The registry took it, but its index did not list it before the run stopped.
    Uploaded,
    /// Not reached: the run stopped first.
    NotPublished,
}

pub fn run(
    sh: &Shell,
    ws: &Workspace,
    plan: &Plan,
    index: &Index,
    options: &Options,
    reporter: &dyn Reporter,
) -> Outcome {
    let mut results: BTreeMap<&str, CrateResult> = plan
        .crates
        .iter()
        .map(|c| {
            let result = CrateResult {
                name: c.name.clone(),
                version: c.version.clone(),
                status: Status::NotPublished,
                seconds: 0.0,
            };
            (c.name.as_str(), result)
        })
        .collect();
    // The first upload is the first thing that cannot be taken back: right before it, the
    // commit and each crate's files must still be those the plan (and its approval) covers.
    let checked = preflight(sh, ws, plan, options.require_verified, reporter)
        .and_then(|preflight| super::content::check_unchanged(sh, ws, plan).map(|()| preflight));
    let error = match checked {
        Ok(Preflight { packages, api: Some(api), .. }) => {
            Pipeline::new(reporter, plan, index, &api, options, &packages).run(&mut results)
        }
        Ok(Preflight { packages, api: None, same_files }) => {
            // The registry's checksum is the one to find for a crate with the same files.
            // Our packages' bytes, kept: `cargo publish` packages again over the same files.
            let tarballs = packages.iter().filter_map(|(name, p)| Some((name.clone(), p.read().ok()?))).collect();
            let mut checksums: BTreeMap<_, _> = packages.into_iter().map(|(name, p)| (name, p.sha256)).collect();
            checksums.extend(same_files);
            Uploads::new(reporter, ws, plan, index, options, checksums).with_tarballs(tarballs).run(&mut results)
        }
        Err(err) => Some(err),
    };
    let results = plan.crates.iter().filter_map(|c| results.remove(c.name.as_str())).collect();
    Outcome { results, error }
}

/// What the preflight found: each crate's package, and the registry's API when we can
/// upload ourselves (`None`: only `cargo publish` can get the token).
struct Preflight {
    packages: BTreeMap<String, Package>,
    api: Option<Api>,
    /// Crates the registry has with another checksum but the same files (only the commit
    /// recorded differs), by the checksum the registry has.
    same_files: BTreeMap<String, String>,
}

/// Everything that can be known before the first upload: a token exists, no version on
/// the registry differs from ours, every crate to upload packages and verifies against the
/// others and the registry, and its upload metadata can be read.
fn preflight(
    sh: &Shell,
    ws: &Workspace,
    plan: &Plan,
    require_verified: bool,
    reporter: &dyn Reporter,
) -> Result<Preflight> {
    let registry = &plan.registry;
    // STEP 1: a token, or the first upload would fail, and the plan's upload route, which
    // must still hold.
    let credential = registry.credential(ws.root.as_std_path())?;
    if let Credential::Token { source, .. } = &credential {
        reporter.status("Found", &format!("a token for {} in {source}", registry.display()));
    }
    let token = token_for_route(plan, credential)?;
    if plan.upload.via == Via::CargoPublish {
        reporter.note(&format!("{}: uploading with `cargo publish` for this run", plan.upload.reason));
    }

    // STEP 2: the versions the registry has, which are never uploaded: packaged without
    // compiling anything, and each compared with the registry's before anything else is
    // packaged, so that a version changed without a bump is refused as such.
    let target = registry.name.as_ref().and(registry.cargo_index.as_deref());
    let published = plan.published_part();
    if !published.crates.is_empty() {
        verified::package(sh, ws, &published, false, reporter)?;
    }
    let mut packages = BTreeMap::new();
    let mut conflicts = Vec::new();
    let mut same_files = BTreeMap::new();
    for krate in &published.crates {
        let (package, bytes) = read_package(ws, krate, target)?;
        if let State::Published { cksum } = &krate.state
            && *cksum != package.sha256
        {
            // Another checksum, maybe only because the package names another commit.
            match published_files(plan, krate, cksum, &bytes, &format!("{}-{}", krate.name, krate.version)) {
                Ok(note) => {
                    reporter.note(&note);
                    same_files.insert(krate.name.clone(), cksum.clone());
                }
                Err(conflict) => conflicts.push(conflict),
            }
        }
        packages.insert(krate.name.clone(), package);
    }
    if !conflicts.is_empty() {
        bail!("nothing was uploaded:\n  {}", conflicts.join("\n  "));
    }

    // STEP 3: the crates to upload, packaged apart from those, so that cargo takes the
    // published ones from the registry: each packaged Cargo.lock then records the checksum
    // the index lists (not that of our own package of a version skipped for the same
    // files), and the verification builds against what everyone downloads. One `cargo
    // package` over them verifies them as they will be published, unless `--verify` did
    // that at this commit for byte-identical packages.
    let uploads = plan.upload_part();
    if !uploads.crates.is_empty() {
        verified::package_for_upload(sh, ws, &uploads, require_verified, reporter)?;
    }
    for krate in &uploads.crates {
        packages.insert(krate.name.clone(), read_package(ws, krate, target)?.0);
    }

    // STEP 4: where uploads go, from the index's config.json.
    let api = match (token, registry.api_index()) {
        (Some(token), Some(index)) => Some(Api::discover(&index, token)?),
        _ => None,
    };
    Ok(Preflight { packages, api, same_files })
}

/// What the preflight packaged for `krate`, and its bytes. One read: the metadata (cargo's,
/// from the manifest inside the `.crate`) comes from the bytes that were hashed, and the
/// upload checks that the file still has that hash.
fn read_package(ws: &Workspace, krate: &Crate, target: Option<&str>) -> Result<(Package, Vec<u8>)> {
    let path = verified::crate_file(ws, &krate.name, &krate.version);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read the packaged crate {path}"))?;
    let sha256 = sha::hash_bytes(&bytes).to_string();
    let metadata = metadata::from_crate(&bytes, &format!("{}-{}", krate.name, krate.version), target)
        .with_context(|| format!("cannot make the upload metadata of `{}`", krate.name))?;
    Ok((Package { path, sha256, metadata }, bytes))
}

/// A note when the registry's package of `krate` holds the same files as ours (`bytes`)
/// and differs only in the commit it records; else the refusal, naming the files.
pub(super) fn published_files(
    plan: &Plan,
    krate: &Crate,
    theirs: &str,
    bytes: &[u8],
    stem: &str,
) -> Result<String, String> {
    let ours = sha::hash_bytes(bytes).to_string();
    let compared = same_files::download(&plan.registry.index_url, &krate.name, &krate.version, theirs)
        .and_then(|published| same_files::compare(bytes, &published, stem));
    let what = format!("`{}` v{}", krate.name, krate.version);
    match compared {
        Ok(c) if c.differing.is_empty() => {
            let from = c.commit.map_or_else(|| "a tree that records no commit".to_string(), |c| format!("commit {c}"));
            Ok(format!(
                "{what} is already on {} from {from}; the same files (only the commit they were packaged at \
                 differs), so it is skipped",
                plan.registry.display(),
            ))
        }
        Ok(c) => {
            let from = c.commit.map_or_else(String::new, |c| format!(" from commit {c}"));
            Err(format!(
                "`{name}` v{} is already on {}{from} with other content in {}; a published version cannot be \
                 replaced: bump the version of `{name}`, or leave it out with --exclude {name}",
                krate.version,
                plan.registry.display(),
                c.differing.join(", "),
                name = krate.name,
            ))
        }
        Err(err) => Err(format!(
            "{} (and its files could not be compared: {err:#})",
            different_content(krate, plan, theirs, &ours)
        )),
    }
}

/// The token for our own upload (`None` when `cargo publish` uploads), once the route the
/// plan chose is known to still hold for cargo's configuration as it is now: the route is
/// decided in one place, `Upload::decide`, when the plan is made, and a run never decides
/// it again on its own. Pure, for tests.
fn token_for_route(plan: &Plan, credential: Credential) -> Result<Option<String>> {
    let registry = &plan.registry;
    if let Credential::Missing = credential {
        bail!("no token for {}: {}", registry.display(), registry.token_help());
    }
    let now = Upload::decide(&credential, registry);
    if now.via != plan.upload.via {
        bail!(
            "cargo's configuration for {} changed since the plan was made (now: {}); nothing was uploaded: run the \
             same command again for a new plan",
            registry.display(),
            now.reason
        );
    }
    Ok(match credential {
        Credential::Token { secret, .. } if plan.upload.via == Via::RegistryApi => Some(secret),
        _ => None,
    })
}

pub(super) fn registry_args(plan: &Plan) -> Vec<String> {
    plan.registry.name.iter().flat_map(|name| ["--registry".to_string(), name.clone()]).collect()
}

pub(super) fn different_content(krate: &Crate, plan: &Plan, theirs: &str, ours: &str) -> String {
    format!(
        "`{name}` v{} is already on {} with different content (index cksum {theirs}, local package {ours}); \
         a published version cannot be replaced: bump the version of `{name}`; if only the commit differs (the \
         package records it in .cargo_vcs_info.json), publish from the commit it was published from, or leave it \
         out with --exclude {name}",
        krate.version,
        plan.registry.display(),
        name = krate.name,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::registry_config::Registry;

    fn plan(cargo_index: &str, credential: &Credential) -> Plan {
        let registry = Registry {
            name: Some("mine".into()),
            index_url: "https://r.example/index/".into(),
            cargo_index: Some(cargo_index.into()),
        };
        let upload = Upload::decide(credential, &registry);
        Plan::new(registry, &[], &BTreeMap::new(), &BTreeMap::new(), upload, Default::default())
    }

    fn token() -> Credential {
        Credential::Token { secret: "s3cret".into(), source: "CARGO_REGISTRIES_MINE_TOKEN".into() }
    }

    #[test]
    fn the_run_follows_the_route_of_its_plan_and_stops_when_it_no_longer_holds() {
        let sparse = "sparse+https://r.example/index/";
        // The plan's own route: our upload with the token, or cargo's without it.
        assert_eq!(token_for_route(&plan(sparse, &token()), token()).unwrap().as_deref(), Some("s3cret"));
        assert_eq!(token_for_route(&plan(sparse, &Credential::Missing), token()).unwrap().as_deref(), Some("s3cret"));
        assert_eq!(token_for_route(&plan("https://r.example/git", &token()), token()).unwrap(), None);
        assert_eq!(token_for_route(&plan(sparse, &Credential::Provider), Credential::Provider).unwrap(), None);
        // A credential provider configured after the plan chose the registry API, or one
        // removed after it chose cargo: the plan no longer holds.
        let err = token_for_route(&plan(sparse, &token()), Credential::Provider).unwrap_err().to_string();
        assert!(err.contains("cargo's configuration for `mine` changed since the plan was made"), "{err}");
        assert!(err.contains("run the same command again"), "{err}");
        assert!(token_for_route(&plan(sparse, &Credential::Provider), token()).is_err());
        let err = token_for_route(&plan(sparse, &token()), Credential::Missing).unwrap_err().to_string();
        assert!(err.starts_with("no token for `mine`"), "{err}");
    }
}

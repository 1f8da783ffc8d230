//! Which binaries ship and what each target's assets are called: the release's asset
//! matrix, computed as plain data from the workspace facts and the config.

use std::collections::HashMap;

use anyhow::{Context as _, Result, bail};
use semver::Version;
use serde::Serialize;
use xshell::{Shell, cmd};

use super::Config;
use super::targets::{self, Archive, Target};
use crate::template;
use crate::workspace::{Member, Workspace};

/// A binary that ships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shipped {
    pub package: String,
    pub bin: String,
}

/// One release asset: a binary of one target, bare or archived, under its asset name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    pub name: String,
    pub package: String,
    pub bin: String,
    /// The other binaries in the same archive, with `archive-per-target`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bundled: Vec<Shipped>,
    pub target: String,
    pub archive: Option<Archive>,
}

/// Every target and every asset of a release.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub version: Version,
    pub shipped: Vec<Shipped>,
    /// Binaries of publishable packages that the default `bins` leaves out (helpers
    /// beside a package's main binary); empty when `bins` is configured.
    pub left_out: Vec<Shipped>,
    pub targets: Vec<Target>,
    pub assets: Vec<Asset>,
}

impl Matrix {
    pub fn target(&self, triple: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.triple == triple)
    }

    /// The asset of another version that `file` (or its `.sha256`) is named as: the same
    /// name as one of ours with another version where ours has this one. So a `dist/`
    /// reused from the last release tells its leftovers from strays.
    pub(crate) fn other_version_of(&self, file: &str) -> Option<(Version, &Asset)> {
        let name = file.strip_suffix(".sha256").unwrap_or(file);
        let ours = self.version.to_string();
        self.assets.iter().find_map(|asset| {
            let (prefix, suffix) = asset.name.split_once(&ours)?;
            let middle = name.strip_prefix(prefix)?.strip_suffix(suffix)?;
            let version = Version::parse(middle).ok().filter(|v| *v != self.version)?;
            Some((version, asset))
        })
    }

    /// What the default `bins` left out and the key that ships it (in `table`, the
    /// config's table), when it left out any.
    pub(crate) fn left_out_note(&self, table: &str) -> Option<String> {
        if self.left_out.is_empty() {
            return None;
        }
        let left: Vec<String> = self.left_out.iter().map(|s| format!("{}/{}", s.package, s.bin)).collect();
        let mut packages: Vec<&str> = Vec::new();
        for ship in self.shipped.iter().chain(&self.left_out) {
            if !packages.contains(&ship.package.as_str()) {
                packages.push(&ship.package);
            }
        }
        let entries: Vec<String> = packages.iter().map(|p| format!("{{ package = \"{p}\" }}")).collect();
        Some(format!(
            "not shipping {} (by default only each package's main binary ships: its `default-run` or \
             the binary named like it); to ship every binary of these packages, set \
             bins = [{}] in [{table}.dist]",
            left.join(", "),
            entries.join(", ")
        ))
    }

    /// A warning for each target whose runner GitHub has retired: its job never starts.
    pub(crate) fn retired_runners(&self, table: &str) -> Vec<String> {
        self.targets
            .iter()
            .filter_map(|t| {
                let when = targets::retired(&t.runner)?;
                Some(format!(
                    "the runner `{}` of {} is an image GitHub retired in {when}, so its job never starts; \
                     set a current `runner` for it in [{table}.dist] targets",
                    t.runner, t.triple
                ))
            })
            .collect()
    }

    pub fn assets_for<'a>(&'a self, triple: &'a str) -> impl Iterator<Item = &'a Asset> + 'a {
        self.assets.iter().filter(move |a| a.target == triple)
    }

    /// The GitHub Actions matrix: `{"include": [{target, platform, runner, assets}]}`.
    /// Whether the release has anything to build: `false` for a library-only workspace.
    pub fn builds(&self) -> bool {
        !self.assets.is_empty()
    }

    /// The matrix GitHub reads; no entry at all when nothing ships, so that a workflow
    /// can tell (through `builds`) and skip its build job.
    pub(crate) fn github(&self) -> GithubMatrix<'_> {
        let include = self
            .targets
            .iter()
            .filter(|_| self.builds())
            .map(|t| GithubEntry {
                target: &t.triple,
                platform: &t.platform,
                runner: &t.runner,
                assets: self.assets_for(&t.triple).map(|a| a.name.as_str()).collect(),
            })
            .collect();
        GithubMatrix { include }
    }
}

#[derive(Debug, Serialize)]
pub struct GithubMatrix<'a> {
    pub include: Vec<GithubEntry<'a>>,
}

#[derive(Debug, Serialize)]
pub struct GithubEntry<'a> {
    pub target: &'a str,
    pub platform: &'a str,
    pub runner: &'a str,
    pub assets: Vec<&'a str>,
}

/// Gathers the facts the matrix needs beyond the workspace (rustc's target list, only
/// when a configured triple is not a common one) and computes it.
pub fn load(sh: &Shell, ws: &Workspace, version: &Version) -> Result<Matrix> {
    let config = &ws.config.dist;
    let uncommon = config.targets.iter().any(|t| !targets::KNOWN.contains(&t.triple.as_str()));
    let rustc_targets = if uncommon { rustc_target_list(sh)? } else { Vec::new() };
    let table = ws.config.table;
    let targets = targets::resolve(&config.targets, table, |t| rustc_targets.iter().any(|r| r == t))?;
    plan(&ws.members, config, table, version, targets)
}

fn rustc_target_list(sh: &Shell) -> Result<Vec<String>> {
    let rustc = std::env::var_os("RUSTC").filter(|v| !v.is_empty()).unwrap_or_else(|| "rustc".into());
    let list = cmd!(sh, "{rustc} --print target-list")
        .quiet()
        .read()
        .context("`rustc --print target-list` failed; it is needed to check the configured target triples")?;
    Ok(list.lines().map(str::to_string).collect())
}

/// The matrix from facts already gathered: a pure function. `table` is the config's
/// (`[workspace.metadata.xtask-release]` or the root package's), for errors.
pub fn plan(
    members: &[Member],
    config: &Config,
    table: &str,
    version: &Version,
    targets: Vec<Target>,
) -> Result<Matrix> {
    let (shipped, left_out) = shipped(members, config, table)?;
    let mut assets: Vec<Asset> = Vec::new();
    let mut seen: HashMap<String, (String, String)> = HashMap::new();
    for target in &targets {
        // With archive-per-target, one archive per target holds every shipped binary; it
        // is named after the first (the main package's main binary).
        let per_target = config.archive_per_target.then(|| target.archive.unwrap_or(target.default_archive()));
        let groups: Vec<&[Shipped]> = match per_target {
            Some(_) => vec![&shipped[..]],
            None => shipped.chunks(1).collect(),
        };
        for group in groups {
            let Some(ship) = group.first() else { continue };
            let archive = per_target.or(target.archive);
            let exe = if archive.is_some() { "" } else { target.exe_suffix() };
            let vars = [
                ("bin", ship.bin.as_str()),
                ("package", ship.package.as_str()),
                ("version", &version.to_string()),
                ("platform", target.platform.as_str()),
                ("target", target.triple.as_str()),
                ("exe", exe),
            ];
            let mut name = template::render(&config.asset_name, &vars)?;
            if let Some(archive) = archive {
                name.push_str(archive.extension());
            }
            check_name(&name, &config.asset_name)?;
            if let Some((bin, platform)) = seen.insert(name.clone(), (ship.bin.clone(), target.platform.clone())) {
                bail!(
                    "asset-name `{}` gives `{name}` both for {bin} on {platform} and for {} on {}; \
                     put {{bin}} and {{platform}} in [{table}.dist] asset-name",
                    config.asset_name,
                    ship.bin,
                    target.platform
                );
            }
            assets.push(Asset {
                name,
                package: ship.package.clone(),
                bin: ship.bin.clone(),
                bundled: group[1..].to_vec(),
                target: target.triple.clone(),
                archive,
            });
        }
    }
    Ok(Matrix { version: version.clone(), shipped, left_out, targets, assets })
}

/// The binaries that ship, and those the default leaves out: the configured ones, each
/// checked to exist; else, per package the release publishes (to any registry), its main
/// binary (its `default-run`, or the binary named like the package), or all of its
/// binaries when it has no main one. So a schema generator or a `utils` binary beside
/// the main one does not ship unasked, nor the binary of an unpublished package. None at
/// all in a library-only workspace.
fn shipped(members: &[Member], config: &Config, table: &str) -> Result<(Vec<Shipped>, Vec<Shipped>)> {
    if config.bins.is_empty() {
        // A library-only workspace ships no binary: an empty matrix, not an error.
        return Ok(default_shipped(members));
    }
    let mut shipped = Vec::new();
    let left_out = Vec::new();
    for entry in &config.bins {
        let Some(member) = members.iter().find(|m| m.name == entry.package) else {
            let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
            bail!(
                "package `{}` in [{table}.dist] bins is not a workspace member; members: {}",
                entry.package,
                names.join(", ")
            );
        };
        let bins: Vec<&String> = match &entry.bin {
            Some(bin) if member.bins.contains(bin) => vec![bin],
            Some(bin) => bail!(
                "package `{}` has no binary `{bin}` (its binaries: {}); fix [{table}.dist] bins",
                member.name,
                if member.bins.is_empty() { "none".to_string() } else { member.bins.join(", ") }
            ),
            None if member.bins.is_empty() => {
                bail!("package `{}` in [{table}.dist] bins has no binary to ship", member.name)
            }
            None => member.bins.iter().collect(),
        };
        for bin in bins {
            let ship = Shipped { package: member.name.clone(), bin: bin.clone() };
            if !shipped.contains(&ship) {
                shipped.push(ship);
            }
        }
    }
    Ok((shipped, left_out))
}

/// What ships when `bins` is not configured, and what that default leaves out (see
/// [`shipped`]): the one rule, for `build-matrix` and for the `bins` init writes.
pub(crate) fn default_shipped(members: &[Member]) -> (Vec<Shipped>, Vec<Shipped>) {
    let mut shipped = Vec::new();
    let mut left_out = Vec::new();
    for member in members.iter().filter(|m| m.publish.is_released()) {
        let main = member.default_run.as_ref().or_else(|| member.bins.iter().find(|b| **b == member.name));
        for bin in &member.bins {
            let ship = Shipped { package: member.name.clone(), bin: bin.clone() };
            if main.is_none_or(|main| main == bin) { shipped.push(ship) } else { left_out.push(ship) }
        }
    }
    (shipped, left_out)
}

/// An asset name must be a plain file name that is not taken for a checksum file.
fn check_name(name: &str, template: &str) -> Result<()> {
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) || name.ends_with(".sha256") {
        bail!(
            "asset-name `{template}` gives `{name}`, which is not a plain file name; \
             asset names may not be empty, start with `.`, hold `/` or `\\`, or end in `.sha256`"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = crate::config::WORKSPACE_TABLE;
    use crate::workspace::Publish;

    fn member(name: &str, bins: &[&str], publish: Publish) -> Member {
        Member {
            name: name.into(),
            version: Version::new(1, 2, 3),
            manifest_path: format!("/ws/{name}/Cargo.toml").into(),
            publish,
            deps: vec![],
            bins: bins.iter().map(|b| b.to_string()).collect(),
            default_run: None,
            has_lib: false,
        }
    }

    fn members() -> Vec<Member> {
        vec![member("caro", &["caro"], Publish::Anywhere), member("internal", &["helper"], Publish::Never)]
    }

    #[test]
    fn the_runbooks_ten_files_come_out_of_the_defaults() {
        let matrix = plan(&members(), &Config::default(), TABLE, &Version::new(1, 2, 3), targets::defaults()).unwrap();
        let names: Vec<&str> = matrix.assets.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "caro-1.2.3-linux-amd64",
                "caro-1.2.3-linux-arm64",
                "caro-1.2.3-macos-intel",
                "caro-1.2.3-macos-silicon",
                "caro-1.2.3-windows-amd64.exe"
            ]
        );
        let github = serde_json::to_string(&matrix.github()).unwrap();
        assert!(
            github.ends_with(r#"{"target":"x86_64-pc-windows-msvc","platform":"windows-amd64","runner":"windows-latest","assets":["caro-1.2.3-windows-amd64.exe"]}]}"#),
            "{github}"
        );
    }

    #[test]
    fn another_versions_assets_are_told_from_strays() {
        let matrix = plan(&members(), &Config::default(), TABLE, &Version::new(1, 2, 3), targets::defaults()).unwrap();
        let (version, asset) = matrix.other_version_of("caro-1.2.2-linux-arm64.sha256").unwrap();
        assert_eq!((version.to_string().as_str(), asset.name.as_str()), ("1.2.2", "caro-1.2.3-linux-arm64"));
        assert_eq!(matrix.other_version_of("caro-2.0.0-rc.1-windows-amd64.exe").unwrap().0.to_string(), "2.0.0-rc.1");
        for not_ours in ["caro-1.2.3-linux-amd64", "caro-latest-linux-amd64", "notes.txt", "other-1.2.2-linux-amd64"] {
            assert!(matrix.other_version_of(not_ours).is_none(), "{not_ours}");
        }
    }

    #[test]
    fn helpers_beside_the_main_binary_are_left_out_by_default() {
        let v = Version::new(1, 0, 0);
        let mut runner = member("runner", &["runner-cli", "schema-gen", "runner-utils"], Publish::Anywhere);
        runner.default_run = Some("runner-cli".into());
        let tools = member("tools", &["a", "b"], Publish::Anywhere);
        let caro = member("caro", &["caro", "caro-utils"], Publish::Anywhere);
        let matrix = plan(&[runner, tools, caro], &Config::default(), TABLE, &v, targets::defaults()).unwrap();
        let names = |list: &[Shipped]| list.iter().map(|s| format!("{}/{}", s.package, s.bin)).collect::<Vec<_>>();
        assert_eq!(names(&matrix.shipped), ["runner/runner-cli", "tools/a", "tools/b", "caro/caro"]);
        assert_eq!(names(&matrix.left_out), ["runner/schema-gen", "runner/runner-utils", "caro/caro-utils"]);
        let note = matrix.left_out_note(TABLE).unwrap();
        assert!(
            note.contains("runner/schema-gen, runner/runner-utils, caro/caro-utils")
                && note.contains(r#"bins = [{ package = "runner" }, { package = "tools" }, { package = "caro" }]"#),
            "{note}"
        );
        // Configured bins leave nothing out.
        let config =
            Config { bins: vec![super::super::BinConfig { package: "caro".into(), bin: None }], ..Config::default() };
        let matrix =
            plan(&[member("caro", &["caro", "caro-utils"], Publish::Anywhere)], &config, TABLE, &v, vec![]).unwrap();
        assert_eq!(names(&matrix.shipped), ["caro/caro", "caro/caro-utils"]);
        assert_eq!(matrix.left_out_note("x"), None);
    }

    #[test]
    fn a_retired_runner_is_named() {
        let mut target = targets::defaults().remove(2);
        let v = Version::new(1, 0, 0);
        let matrix = plan(&members(), &Config::default(), TABLE, &v, vec![target.clone()]).unwrap();
        assert!(matrix.retired_runners("t").is_empty());
        target.runner = "macos-13".into();
        let matrix = plan(&members(), &Config::default(), TABLE, &v, vec![target]).unwrap();
        let warnings = matrix.retired_runners(TABLE);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("`macos-13` of x86_64-apple-darwin is an image GitHub retired in 2025-12"));
    }

    #[test]
    fn archives_take_their_extension_instead_of_exe() {
        let mut target = targets::defaults().remove(4);
        target.archive = Some(Archive::Zip);
        let matrix = plan(&members(), &Config::default(), TABLE, &Version::new(1, 0, 0), vec![target]).unwrap();
        assert_eq!(matrix.assets[0].name, "caro-1.0.0-windows-amd64.zip");
    }

    #[test]
    fn configured_bins_are_checked() {
        let config = |package: &str, bin: Option<&str>| Config {
            bins: vec![super::super::BinConfig { package: package.into(), bin: bin.map(Into::into) }],
            ..Config::default()
        };
        let v = Version::new(1, 0, 0);
        let ok = plan(&members(), &config("internal", None), TABLE, &v, targets::defaults()).unwrap();
        assert_eq!(ok.shipped, [Shipped { package: "internal".into(), bin: "helper".into() }]);
        let err = plan(&members(), &config("caro", Some("nope")), TABLE, &v, targets::defaults()).unwrap_err();
        assert!(err.to_string().contains("package `caro` has no binary `nope` (its binaries: caro)"), "{err}");
        let err = plan(&members(), &config("ghost", None), TABLE, &v, targets::defaults()).unwrap_err();
        assert!(err.to_string().contains("package `ghost`"), "{err}");
    }

    #[test]
    fn templates_are_checked() {
        let v = Version::new(1, 0, 0);
        let with = |t: &str| {
            plan(&members(), &Config { asset_name: t.into(), ..Config::default() }, TABLE, &v, targets::defaults())
        };
        let err = with("{bin}-{version}").unwrap_err().to_string();
        assert!(err.contains("gives `caro-1.0.0` both for caro on linux-amd64 and for caro on linux-arm64"), "{err}");
        let err = with("{bin}-{arch}").unwrap_err().to_string();
        assert!(err.contains("unknown placeholder `{arch}`"), "{err}");
        let err = with("{platform}/{bin}").unwrap_err().to_string();
        assert!(err.contains("not a plain file name"), "{err}");
        assert_eq!(with("{package}_{target}{exe}").unwrap().assets[0].name, "caro_x86_64-unknown-linux-gnu");
    }
}

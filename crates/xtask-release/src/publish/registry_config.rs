//! The target registry, read the way cargo reads it: its sparse index URL from
//! `registries.NAME.index`, and its token, found where cargo's `cargo:token` provider
//! finds it. The token is registered with the redactor as soon as it is read, and only
//! where it came from is ever printed.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use toml_edit::{DocumentMut, Item};

pub const CRATES_IO_INDEX: &str = "https://index.crates.io/";
/// cargo's built-in provider that reads tokens from the environment and config files.
const TOKEN_PROVIDER: &str = "cargo:token";

/// How the upload authenticates.
pub enum Credential {
    /// A token for the `Authorization` header, and where it came from (for messages).
    Token { secret: String, source: String },
    /// Another credential provider is configured: only cargo can ask it.
    Provider,
    /// No token anywhere cargo would look.
    Missing,
}

/// Whether a `credential-provider` or `global-credential-providers` value names only
/// `cargo:token`.
fn only_token_provider(item: &Item) -> bool {
    match item.as_str() {
        Some(one) => one == TOKEN_PROVIDER,
        None => item.as_array().is_some_and(|list| list.iter().all(|p| p.as_str() == Some(TOKEN_PROVIDER))),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Registry {
    /// `None` is crates.io.
    pub name: Option<String>,
    /// The sparse index URL without cargo's `sparse+` prefix.
    pub index_url: String,
    /// The index as cargo has it configured (`sparse+https://...`; `None` for crates.io):
    /// where uploads go (its `config.json` names the API) and how a packaged manifest's
    /// `registry-index` names this registry.
    #[serde(skip)]
    pub cargo_index: Option<String>,
}

impl Registry {
    /// The registry named on the command line, or cargo's `registry.default`, or
    /// crates.io, with its index URL from `index_override`, then cargo's environment and
    /// config files as seen from `dir`.
    pub(crate) fn resolve(name: Option<&str>, index_override: Option<&str>, dir: &Path) -> Result<Registry> {
        let name = match name {
            Some(name) => Some(name.to_string()),
            None => default_registry(dir)?,
        };
        let name = name.filter(|n| n != "crates-io");
        let cargo_index = match (&name, index_override) {
            (None, _) => None,
            (Some(name), None) => Some(configured_index(name, dir)?),
            // The index read is overridden; the upload still goes where cargo would send it.
            (Some(name), Some(url)) => Some(configured_index(name, dir).unwrap_or_else(|_| url.to_string())),
        };
        let configured = match (&cargo_index, index_override) {
            (_, Some(url)) => url.to_string(),
            (None, None) => CRATES_IO_INDEX.to_string(),
            (Some(index), None) => index.clone(),
        };
        let index_url = match configured.strip_prefix("sparse+") {
            Some(url) => url.to_string(),
            None if index_override.is_some() || name.is_none() => configured,
            None => bail!(
                "registry `{}` has a git index ({configured}); publish-ordered reads sparse indexes only; \
                 set registries.{0}.index to its `sparse+https://...` URL, or pass --index-url",
                name.as_deref().unwrap_or_default()
            ),
        };
        Ok(Registry { name, index_url, cargo_index })
    }

    /// The sparse index whose `config.json` names the upload API, without `sparse+`;
    /// `None` for a git index.
    pub fn api_index(&self) -> Option<String> {
        match &self.cargo_index {
            None => Some(CRATES_IO_INDEX.to_string()),
            Some(index) => index.strip_prefix("sparse+").map(str::to_string),
        }
    }

    /// `crates.io` or `` `name` ``, for messages.
    pub fn display(&self) -> String {
        self.name.as_ref().map_or_else(|| "crates.io".to_string(), |n| format!("`{n}`"))
    }

    /// Where cargo would find a token for this registry, or `None` when it would find
    /// none and `cargo publish` would fail.
    pub(crate) fn token_source(&self, dir: &Path) -> Result<Option<String>> {
        Ok(match self.credential(dir)? {
            Credential::Token { source, .. } => Some(source),
            Credential::Provider => Some("a credential provider".into()),
            Credential::Missing => None,
        })
    }

    /// The token the way cargo's own `cargo:token` provider finds it: the environment,
    /// then cargo's config files, then `credentials.toml`. When another credential
    /// provider is configured, only cargo can ask it, so that is all this says. A token
    /// read is registered with the redactor at once, so no text shows it afterwards.
    pub(crate) fn credential(&self, dir: &Path) -> Result<Credential> {
        let (env_var, table): (String, &[&str]) = match &self.name {
            None => ("CARGO_REGISTRY_TOKEN".into(), &["registry"]),
            Some(name) => (env_name(name, "TOKEN"), &["registries", name.as_str()]),
        };
        let configs = ConfigFiles::load(dir)?;
        let key = |last: &'static str| table.iter().copied().chain([last]).collect::<Vec<_>>();
        let provider_env = match &self.name {
            None => "CARGO_REGISTRY_CREDENTIAL_PROVIDER".to_string(),
            Some(name) => env_name(name, "CREDENTIAL_PROVIDER"),
        };
        let own_provider = std::env::var(&provider_env).ok().filter(|v| !v.is_empty()).map(|v| v == TOKEN_PROVIDER);
        let own_provider = match own_provider {
            Some(only_token) => Some(only_token),
            None => configs.find(&key("credential-provider")).map(|(_, item)| only_token_provider(item)),
        };
        let global = match std::env::var("CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS").ok().filter(|v| !v.is_empty()) {
            Some(list) => Some(list.split_whitespace().all(|p| p == TOKEN_PROVIDER)),
            None => {
                configs.find(&["registry", "global-credential-providers"]).map(|(_, item)| only_token_provider(item))
            }
        };
        if own_provider.or(global) == Some(false) {
            return Ok(Credential::Provider);
        }
        let found = |secret: &str, source: String| {
            crate::ops::redact::register(secret);
            Credential::Token { secret: secret.to_string(), source }
        };
        if let Some(token) = std::env::var(&env_var).ok().filter(|v| !v.is_empty()) {
            return Ok(found(&token, env_var));
        }
        if let Some((path, item)) = configs.find(&key("token")) {
            let token = item
                .as_str()
                .with_context(|| format!("{} in {} is not a string", key("token").join("."), path.display()))?;
            return Ok(found(token, path.display().to_string()));
        }
        let credentials = ["credentials.toml", "credentials"].map(|file| cargo_home().join(file));
        for path in credentials.iter().filter(|p| p.is_file()) {
            let file = ConfigFiles::parse(path)?;
            if let Some((_, item)) = file.find(&key("token")) {
                let token = item
                    .as_str()
                    .with_context(|| format!("{} in {} is not a string", key("token").join("."), path.display()))?;
                return Ok(found(token, path.display().to_string()));
            }
        }
        Ok(Credential::Missing)
    }

    /// What to set or run to give cargo a token, for the error when there is none.
    pub(crate) fn token_help(&self) -> String {
        match &self.name {
            None => "set CARGO_REGISTRY_TOKEN, or run `cargo login`".into(),
            Some(name) => format!("set {}, or run `cargo login --registry {name}`", env_name(name, "TOKEN")),
        }
    }
}

/// Registers with the redactor every token cargo would use from `dir`, for any registry:
/// the environment's, `registry.token` and every `registries.NAME.token` in each config
/// file cargo reads there and in `$CARGO_HOME/credentials.toml` (or the legacy
/// `credentials`). Cargo may quote a registry's answer that echoes the token it sent, and
/// which registry a command talks to is cargo's business, so all of them are registered
/// before cargo runs. A file that cannot be read or parsed is cargo's to report.
pub(crate) fn register_tokens(dir: &Path) {
    crate::ops::redact::register_env();
    let home = cargo_home();
    let credentials = ["credentials.toml", "credentials"].map(|file| home.join(file));
    let mut files = ConfigFiles::load(dir).map(|c| c.0).unwrap_or_default();
    for path in credentials.iter().filter(|p| p.is_file()) {
        files.extend(ConfigFiles::parse(path).map(|c| c.0).unwrap_or_default());
    }
    for (_, doc) in &files {
        let registry = doc.get("registry").and_then(|r| r.get("token"));
        let registries = doc.get("registries").and_then(Item::as_table_like).into_iter().flat_map(|t| t.iter());
        let named = registries.filter_map(|(_, table)| table.get("token"));
        for token in registry.into_iter().chain(named).filter_map(Item::as_str) {
            crate::ops::redact::register(token);
        }
    }
}

/// Cargo's environment name for a registry key: `CARGO_REGISTRIES_MY_REG_TOKEN`.
fn env_name(registry: &str, key: &str) -> String {
    format!("CARGO_REGISTRIES_{}_{key}", registry.to_ascii_uppercase().replace('-', "_"))
}

/// `registry.default`: where a bare `cargo publish` goes, so where we must look.
fn default_registry(dir: &Path) -> Result<Option<String>> {
    if let Some(name) = std::env::var("CARGO_REGISTRY_DEFAULT").ok().filter(|v| !v.is_empty()) {
        return Ok(Some(name));
    }
    let configs = ConfigFiles::load(dir)?;
    Ok(configs.find(&["registry", "default"]).and_then(|(_, item)| item.as_str()).map(str::to_string))
}

fn configured_index(name: &str, dir: &Path) -> Result<String> {
    let env_var = env_name(name, "INDEX");
    if let Some(url) = std::env::var(&env_var).ok().filter(|v| !v.is_empty()) {
        return Ok(url);
    }
    let configs = ConfigFiles::load(dir)?;
    match configs.find(&["registries", name, "index"]) {
        Some((path, item)) => item
            .as_str()
            .map(str::to_string)
            .with_context(|| format!("registries.{name}.index in {} is not a string", path.display())),
        None => bail!(
            "registry `{name}` is not configured: add `[registries.{name}] index = \"sparse+https://...\"` \
             to .cargo/config.toml, set {env_var}, or pass --index-url"
        ),
    }
}

fn cargo_home() -> PathBuf {
    match std::env::var_os("CARGO_HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo"),
    }
}

/// Cargo's config files in the order cargo lets them win: `.cargo/config.toml` from
/// `dir` upward, then `$CARGO_HOME/config.toml`.
struct ConfigFiles(Vec<(PathBuf, DocumentMut)>);

impl ConfigFiles {
    fn load(dir: &Path) -> Result<ConfigFiles> {
        let home = cargo_home();
        let dirs = dir.ancestors().map(|d| d.join(".cargo")).chain([home]);
        let mut files = Vec::new();
        let mut seen = Vec::new();
        for cargo_dir in dirs {
            // `config` is the name before cargo 1.39; cargo reads it when `.toml` is absent.
            let Some(path) = ["config.toml", "config"].map(|f| cargo_dir.join(f)).into_iter().find(|p| p.is_file())
            else {
                continue;
            };
            if !seen.contains(&path) {
                seen.push(path.clone());
                files.extend(ConfigFiles::parse(&path)?.0);
            }
        }
        Ok(ConfigFiles(files))
    }

    fn parse(path: &Path) -> Result<ConfigFiles> {
        let text = crate::ops::fs::read(path)?;
        let doc: DocumentMut = text.parse().with_context(|| format!("{} is not valid TOML", path.display()))?;
        Ok(ConfigFiles(vec![(path.to_path_buf(), doc)]))
    }

    /// The first file that sets the dotted key, and the value.
    fn find(&self, keys: &[&str]) -> Option<(&Path, &Item)> {
        self.0.iter().find_map(|(path, doc)| {
            let item = keys.iter().try_fold(doc.as_item(), |item, key| item.get(key))?;
            Some((path.as_path(), item))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_follow_cargo() {
        assert_eq!(env_name("my-reg", "TOKEN"), "CARGO_REGISTRIES_MY_REG_TOKEN");
    }

    #[test]
    fn index_from_the_nearest_config_file() {
        let tmp = tempfile::tempdir().unwrap();
        let outer = tmp.path().join(".cargo");
        let inner = tmp.path().join("ws/.cargo");
        std::fs::create_dir_all(&outer).unwrap();
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::write(outer.join("config.toml"), "registries.b.index = \"sparse+http://outer/b/\"\n").unwrap();
        std::fs::write(inner.join("config.toml"), "[registries.b]\nindex = \"sparse+http://inner/\"\n").unwrap();
        let ws = tmp.path().join("ws");
        assert_eq!(Registry::resolve(Some("b"), None, &ws).unwrap().index_url, "http://inner/");
        let err = Registry::resolve(Some("nope"), None, &ws).unwrap_err().to_string();
        assert!(err.contains("registry `nope` is not configured"), "{err}");
        assert_eq!(Registry::resolve(None, None, &ws).unwrap().index_url, CRATES_IO_INDEX);
        // A bare `cargo publish` goes to registry.default, so that is the one to read.
        std::fs::write(
            outer.join("config.toml"),
            "registry.default = \"b\"\nregistries.b.index = \"sparse+http://o/\"\n",
        )
        .unwrap();
        let default = Registry::resolve(None, None, &ws).unwrap();
        assert_eq!((default.name.as_deref(), default.index_url.as_str()), (Some("b"), "http://inner/"));
        assert_eq!(Registry::resolve(Some("crates-io"), None, &ws).unwrap().index_url, CRATES_IO_INDEX);
        let over = Registry::resolve(Some("b"), Some("sparse+http://over/"), &ws).unwrap();
        assert_eq!((over.name.as_deref(), over.index_url.as_str()), (Some("b"), "http://over/"));
    }

    #[test]
    fn tokens_as_cargo_token_finds_them_and_other_providers_left_to_cargo() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join(".cargo")).unwrap();
        let config = tmp.path().join(".cargo/config.toml");
        let registry = Registry { name: Some("zz-test".into()), index_url: "http://r/".into(), cargo_index: None };
        std::fs::write(
            &config,
            "registry.global-credential-providers = [\"cargo:token\"]\nregistries.zz-test.token = \"secret-71\"\n",
        )
        .unwrap();
        match registry.credential(tmp.path()).unwrap() {
            Credential::Token { secret, source } => {
                assert_eq!((secret.as_str(), source), ("secret-71", config.display().to_string()));
            }
            _ => panic!("expected the token from the config file"),
        }
        assert_eq!(crate::ops::redact::redact("it was secret-71"), "it was ***");
        std::fs::write(
            &config,
            "registries.zz-test.token = \"t\"\nregistries.zz-test.credential-provider = \"cargo:libsecret\"\n",
        )
        .unwrap();
        assert!(matches!(registry.credential(tmp.path()).unwrap(), Credential::Provider));
        std::fs::write(&config, "registry.global-credential-providers = [\"cargo:token\", \"my-helper\"]\n").unwrap();
        assert!(matches!(registry.credential(tmp.path()).unwrap(), Credential::Provider));
    }

    #[test]
    fn every_token_in_cargo_s_files_is_registered() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("ws/.cargo")).unwrap();
        std::fs::write(
            tmp.path().join("ws/.cargo/config.toml"),
            "registry.token = \"cfg-token-11\"\n[registries.a]\ntoken = \"cfg-token-22\"\n",
        )
        .unwrap();
        std::fs::create_dir_all(tmp.path().join(".cargo")).unwrap();
        std::fs::write(tmp.path().join(".cargo/config"), "registries.b.token = \"cfg-token-33\"\n").unwrap();
        register_tokens(&tmp.path().join("ws"));
        let text = "cfg-token-11 cfg-token-22 cfg-token-33";
        assert_eq!(crate::ops::redact::redact(text), "*** *** ***");
    }

    #[test]
    fn git_indexes_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join(".cargo")).unwrap();
        std::fs::write(tmp.path().join(".cargo/config.toml"), "registries.g.index = \"https://git.example/i\"\n")
            .unwrap();
        let err = Registry::resolve(Some("g"), None, tmp.path()).unwrap_err().to_string();
        assert!(err.contains("git index"), "{err}");
    }
}

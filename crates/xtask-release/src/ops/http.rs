//! The settings every HTTP client of ours shares: the system's CA store, our User-Agent,
//! statuses left to the caller rather than turned into errors, and the deadlines of every
//! request (`http-timeout`, `transfer-timeout`) and of every wait a server asks for
//! (`max-retry-wait`), so that no stalled or dripping server holds a run.

use std::sync::RwLock;
use std::time::Duration;

use ureq::config::ConfigBuilder;
use ureq::tls::{PemItem, RootCerts, TlsConfig};
use ureq::typestate::AgentScope;

/// The deadlines of this process's HTTP requests and of the waits servers ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connecting, and the whole of a request whose answer is small: an index file, a
    /// registry's `config.json`, a GitHub API call (`http-timeout`).
    pub timeout: Duration,
    /// The whole of an upload or download of a package or release asset
    /// (`transfer-timeout`).
    pub transfer_timeout: Duration,
    /// The longest wait a server may ask for (`Retry-After`, a rate limit's reset) that is
    /// waited out; a longer one stops the run with a message saying when to resume
    /// (`max-retry-wait`).
    pub max_retry_wait: Duration,
}

impl Limits {
    pub const DEFAULT: Limits = Limits {
        timeout: Duration::from_secs(30),
        transfer_timeout: Duration::from_secs(1800),
        max_retry_wait: Duration::from_secs(300),
    };
}

/// One per process, like the redactor's secrets: the clients that need them are made deep
/// inside engines (a plan's execution, the GitHub client) that are not handed the config.
/// Set from the workspace's config when it is read.
static LIMITS: RwLock<Limits> = RwLock::new(Limits::DEFAULT);

pub fn set_limits(limits: Limits) {
    *LIMITS.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = limits;
}

pub fn limits() -> Limits {
    *LIMITS.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Which deadline bounds a whole request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// An answer of a few kilobytes: `http-timeout`.
    Small,
    /// A package or an asset: `transfer-timeout`.
    Transfer,
}

impl Size {
    fn whole(self, limits: Limits) -> (Duration, &'static str) {
        match self {
            Size::Small => (limits.timeout, "http-timeout"),
            Size::Transfer => (limits.transfer_timeout, "transfer-timeout"),
        }
    }
}

/// An agent whose every request connects within `http-timeout`, is never silent for
/// longer (a stalled server), and ends within the deadline of its `size` (a server that
/// drips its answer).
pub fn agent(size: Size) -> ureq::Agent {
    let limits = limits();
    agent_config()
        .timeout_connect(Some(limits.timeout))
        .timeout_per_read(Some(limits.timeout))
        .timeout_per_write(Some(limits.timeout))
        .timeout_global(Some(size.whole(limits).0))
        .build()
        .into()
}

/// What went wrong with a request made by `agent(size)`, to follow its URL in a message:
/// for a timeout, the deadline and the setting that changes it.
pub fn describe(size: Size, err: &ureq::Error) -> String {
    let limits = limits();
    let short = limits.timeout.as_secs();
    match err {
        ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => {
            format!("could not connect within {short}s (`http-timeout`)")
        }
        ureq::Error::Timeout(ureq::Timeout::Global | ureq::Timeout::PerCall) => {
            let (whole, key) = size.whole(limits);
            format!("gave no complete answer within {}s (`{key}`)", whole.as_secs())
        }
        ureq::Error::Timeout(_) => format!("sent nothing for {short}s (`http-timeout`)"),
        _ => err.to_string(),
    }
}

/// An agent config to finish with the caller's timeouts and `.build().into()`.
fn agent_config() -> ConfigBuilder<AgentScope> {
    ureq::Agent::config_builder()
        .tls_config(TlsConfig::builder().root_certs(system_roots()).build())
        .http_status_as_error(false)
        .user_agent(concat!("xtask-release/", env!("CARGO_PKG_VERSION")))
}

/// The certificates cargo and git trust: the system's CA store, so a server they reach
/// (behind a company's TLS-inspecting proxy, say) verifies here too. Mozilla's roots,
/// built in, where the system has no bundle file (macOS, Windows). Read and parsed once
/// per process (a bundle is a few hundred certificates), however many agents we make.
fn system_roots() -> RootCerts {
    static ROOTS: std::sync::OnceLock<RootCerts> = std::sync::OnceLock::new();
    ROOTS.get_or_init(read_system_roots).clone()
}

fn read_system_roots() -> RootCerts {
    let bundles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];
    let explicit = std::env::var_os("SSL_CERT_FILE").map(std::path::PathBuf::from);
    let pem = explicit
        .into_iter()
        .chain(bundles.map(Into::into))
        .find_map(|path| super::fs::read_bytes(path, super::fs::Cap::TEXT).ok());
    let certs: Vec<_> = pem
        .iter()
        .flat_map(|pem| ureq::tls::parse_pem(pem))
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect();
    if certs.is_empty() { RootCerts::WebPki } else { RootCerts::new_with_certs(&certs) }
}

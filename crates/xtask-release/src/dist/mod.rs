//! Release assets: the CI build matrix, per-target builds, checksums and verification.

pub(crate) mod archive;
pub(crate) mod assets;
pub mod build;
pub mod checksum;
pub mod matrix;
pub(crate) mod targets;
pub mod verify_assets;

// What build-matrix, dist and verify-assets plan with: the matrix of targets and assets.
pub use assets::{Asset, Matrix, Shipped};
pub use targets::{Archive, Target};

use serde::Deserialize;

/// `[workspace.metadata.xtask-release.dist]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct Config {
    /// The binaries that ship; empty means every binary of every publishable package.
    pub bins: Vec<BinConfig>,
    /// The targets built, each with its platform label and CI runner; empty means
    /// `targets::DEFAULTS`.
    pub targets: Vec<targets::TargetConfig>,
    /// The asset file name; `{bin}`, `{package}`, `{version}`, `{platform}`, `{target}`
    /// and `{exe}` (`.exe` on Windows, empty in archives) are filled in.
    pub asset_name: String,
    /// One archive per target holding every shipped binary, instead of one asset per
    /// binary; a target without `archive` gets tar.gz (zip on Windows).
    pub archive_per_target: bool,
}

/// One entry of `bins`: a package's binaries, or one of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) struct BinConfig {
    pub package: String,
    /// Ship only this binary of the package [default: all of them].
    pub bin: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            bins: Vec::new(),
            targets: Vec::new(),
            asset_name: "{bin}-{version}-{platform}{exe}".into(),
            archive_per_target: false,
        }
    }
}

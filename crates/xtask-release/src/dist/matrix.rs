//! `build-matrix`: the GitHub Actions matrix of targets, runners and asset names.

use std::io::Write as _;

use anyhow::{Context as _, Result};

use super::assets::{self, Matrix};
use crate::cli::Format;
use crate::context::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {}

impl Args {
    pub fn run(self, ctx: &Ctx) -> Result<()> {
        let ws = ctx.workspace()?;
        let version = crate::version::current(&ws)?;
        let matrix = assets::load(&ctx.sh, &ws, &version)?;
        // One line, so that it can go into `$GITHUB_OUTPUT` and through `fromJSON` as is.
        let json = serde_json::to_string(&matrix.github())?;
        if let Some(path) = std::env::var_os("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
            let shown = std::path::Path::new(&path).display().to_string();
            let mut file = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&path)
                .with_context(|| format!("cannot open GITHUB_OUTPUT file {shown}"))?;
            writeln!(file, "matrix={json}").with_context(|| format!("cannot write GITHUB_OUTPUT file {shown}"))?;
            ctx.out.status("Wrote", format!("matrix= to {shown}"));
        }
        match ctx.format_or(Format::Json) {
            Format::Json => println!("{json}"),
            Format::Text => print!("{}", table(&matrix)),
        }
        Ok(())
    }
}

/// The matrix as an aligned table, one row per asset.
fn table(matrix: &Matrix) -> String {
    let mut rows = vec![["target", "platform", "runner", "asset"].map(String::from)];
    for target in &matrix.targets {
        for asset in matrix.assets_for(&target.triple) {
            rows.push([target.triple.clone(), target.platform.clone(), target.runner.clone(), asset.name.clone()]);
        }
    }
    let widths: Vec<usize> = (0..4).map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0)).collect();
    rows.iter()
        .map(|row| {
            let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
            format!("{}\n", cells.join("  ").trim_end())
        })
        .collect()
}

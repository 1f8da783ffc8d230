//! `build-matrix`: the matrix as the one JSON line GitHub reads, or as a table.

use anyhow::Result;

use super::{Cx, Format};
use crate::actions;
use crate::dist::assets::Matrix;
use crate::dist::matrix;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also write the matrix as `matrix` to $GITHUB_OUTPUT, for the build jobs, and
    /// `builds` (`true`, or `false` when no binary ships)
    #[arg(long)]
    pub github_output: bool,
}

impl Args {
    pub(crate) fn run(self, cx: &Cx) -> Result<()> {
        let ctx = &cx.ctx;
        let ws = ctx.workspace()?;
        let matrix = matrix::plan(&ctx.sh, &ws)?;
        // One line, so that it can go into `$GITHUB_OUTPUT` and through `fromJSON` as is.
        let json = serde_json::to_string(&matrix.github())?;
        if let Some(note) = matrix.left_out_note(ws.config.table) {
            ctx.out.note(note);
        }
        for warning in matrix.retired_runners(ws.config.table) {
            ctx.out.warn(warning);
        }
        if !matrix.builds() {
            ctx.out.note(
                "nothing to build: no published package has a binary; the release publishes the crates \
                 and creates the GitHub release without assets",
            );
        }
        if self.github_output {
            // `builds` lets the workflow skip its build job: GitHub refuses an empty matrix.
            actions::write(&[("matrix", &json), ("builds", if matrix.builds() { "true" } else { "false" })])?;
            ctx.out.status("Wrote", "matrix= and builds= to GITHUB_OUTPUT");
        }
        match cx.format_or(Format::Json) {
            Format::Json => crate::outln!("{json}"),
            Format::Text => crate::out!("{}", table(&matrix)),
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

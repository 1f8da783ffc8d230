//! The approval gate: every plan has a digest (sha256 of its canonical JSON), and
//! `--execute --approve sha256:<hex>` runs only the plan that was approved.
//!
//! What is approved is the plan with the tree it was made from (`work_tree`: HEAD and a
//! digest of what is not committed, see [`WorkTree`]), so a commit or an edit between the
//! dry run and `--execute` is refused like any other change of the plan.
//!
//! The dry run keeps the plan it showed under `<target dir>/xtask-release/plans/<hex>.json`,
//! so that a refused approval can name what changed since.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};
use serde::Serialize;
use serde_json::Value;

use crate::ops::sha;
pub use crate::ops::tree::WorkTree;

/// How many differences a refusal lists before it stops counting.
const MAX_DIFFERENCES: usize = 8;

/// `sha256:<hex>` of the plan's canonical JSON.
pub fn digest_value(plan: &Value) -> String {
    format!("sha256:{}", sha::hash_bytes(canonical_json(plan).as_bytes()))
}

/// Compact JSON with every object's keys sorted, so equal plans give equal bytes
/// whatever order their fields were serialised in. Plans hold no timestamps: they are
/// computed from facts, not from the clock.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(out, &map[key]);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// Where the dry run keeps the plan with `digest`, under cargo's target directory.
pub fn saved_plan_path(target_dir: &Utf8Path, digest: &str) -> Utf8PathBuf {
    target_dir.join("xtask-release/plans").join(format!("{}.json", hex_of(digest)))
}

/// Keeps the plan a dry run showed, for naming differences when another plan is approved.
pub fn save_plan(target_dir: &Utf8Path, digest: &str, plan: &Value) -> Result<()> {
    let path = saved_plan_path(target_dir, digest);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {dir}: {e}"))?;
    }
    crate::ops::fs::write_atomic(&path, serde_json::to_string_pretty(plan)?.as_bytes())
}

/// `sha256:<hex>` from what the user gave: the prefix is optional, the case is not kept.
pub fn parse_approval(text: &str) -> Result<String> {
    let hex = text.trim().strip_prefix("sha256:").unwrap_or(text.trim());
    if sha::Digest::parse_hex(hex).is_none() {
        bail!("--approve `{text}` is not `sha256:` and 64 hex digits; copy the `plan:` line a dry run prints");
    }
    Ok(format!("sha256:{}", hex.to_ascii_lowercase()))
}

/// What the gate decided: the approval to record with each audit line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub plan_digest: String,
    /// The digest given with `--approve`, equal to `plan_digest`, or `None` without one.
    pub approved: Option<String>,
}

/// What is approved: the plan's JSON object with the tree it was made from as `work_tree`.
/// A plan that is not an object is kept whole under `plan`.
pub fn subject(plan: &impl Serialize, tree: &WorkTree) -> Result<Value> {
    let mut value = match serde_json::to_value(plan)? {
        Value::Object(map) => map,
        other => serde_json::Map::from_iter([("plan".to_string(), other)]),
    };
    value.insert("work_tree".into(), serde_json::to_value(tree)?);
    Ok(Value::Object(value))
}

/// What a run that nobody approved records: the plan's digest alone (the one its dry run
/// shows). For a library caller, whose call to `execute` is its approval.
pub fn unapproved(sh: &xshell::Shell, target_dir: &Utf8Path, plan: &impl Serialize) -> Result<Approval> {
    let value = subject(plan, &WorkTree::read(sh, target_dir))?;
    Ok(Approval { plan_digest: digest_value(&value), approved: None })
}

/// Lets `--execute` of `command` proceed only with a matching approval: always when one
/// is given, and when `require` lists the command, also when none is. Nothing has been
/// done when this refuses.
pub fn gate(
    target_dir: &Utf8Path,
    command: &str,
    require: &[String],
    table: &str,
    approve: Option<&str>,
    plan: &Value,
) -> Result<Approval> {
    let now = digest_value(plan);
    let Some(approve) = approve else {
        if require.iter().any(|c| c == command) {
            bail!(
                "`{command}` needs an approved plan (require-approval in [{table}]), and \
                 nothing was done; run it without --execute, have the plan reviewed, then pass \
                 --execute --approve <the sha256:... its `plan:` line shows>"
            );
        }
        return Ok(Approval { plan_digest: now, approved: None });
    };
    let approved = parse_approval(approve)?;
    if approved != now {
        let mut message = format!(
            "the plan changed since it was approved, so nothing was done: approved {approved}, the plan now is {now}"
        );
        match std::fs::read_to_string(saved_plan_path(target_dir, &approved))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
        {
            Some(old) => {
                let mut found = Vec::new();
                differences(&old, plan, "", &mut found);
                let _ = write!(message, "; what differs: {}", found.join(", "));
            }
            None => message.push_str(" (the approved plan is not kept here, so what differs cannot be named)"),
        }
        message.push_str("; review the new plan with a dry run and approve its digest");
        bail!(message);
    }
    Ok(Approval { plan_digest: now, approved: Some(approved) })
}

/// The paths at which two plans differ, with both values when they are short.
pub fn differences(old: &Value, new: &Value, at: &str, found: &mut Vec<String>) {
    if found.len() >= MAX_DIFFERENCES || old == new {
        return;
    }
    let key_path = |key: &str| if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => differences(x, y, &key_path(key), found),
                    (Some(_), None) => found.push(format!("{} removed", key_path(key))),
                    (None, _) => found.push(format!("{} added", key_path(key))),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                differences(x, y, &format!("{at}[{i}]"), found);
            }
        }
        _ => {
            let (x, y) = (old.to_string(), new.to_string());
            let shown = if at.is_empty() { "the plan" } else { at };
            // Two quoted commit ids (84 characters) still show.
            if x.len() + y.len() <= 96 {
                found.push(format!("{shown}: {x} -> {y}"));
            } else {
                found.push(shown.to_string());
            }
        }
    }
}

/// What a dry run does with its plan, made from `tree`: returns its digest, for the
/// `plan: sha256:...` line or the JSON's `plan_digest`, and when `keep` (the command needs
/// approval) keeps the plan, so that a later `--approve` of it can name what differs.
/// Otherwise a dry run writes nothing at all.
pub fn dry_run(target_dir: &Utf8Path, plan: &impl Serialize, tree: &WorkTree, keep: bool) -> Result<String> {
    let value = subject(plan, tree)?;
    let digest = digest_value(&value);
    if keep {
        save_plan(target_dir, &digest, &value)?;
    }
    Ok(digest)
}

/// `plan` with its `work_tree` and `plan_digest` after its own keys, for a command's one JSON
/// document: what the digest covers, and the digest. Serialised straight through (not via
/// a `serde_json` map, which sorts its keys), so a dry run's keys keep the order the plan
/// type declares, as an executed run's do.
pub fn with_digest<'a, P: Serialize>(plan: &'a P, tree: &'a WorkTree, digest: &'a str) -> WithDigest<'a, P> {
    WithDigest { plan, work_tree: tree, plan_digest: digest }
}

/// A plan, the tree it was made from and its digest, as [`with_digest`] makes it.
#[derive(Serialize)]
pub struct WithDigest<'a, P> {
    #[serde(flatten)]
    plan: &'a P,
    work_tree: &'a WorkTree,
    plan_digest: &'a str,
}

/// The one way a command's plan is carried out: the approval gate first, so a refusal
/// changes nothing, then `run`, recorded as one audit line (the command as the step) with
/// the plan's digest, the approval, the outcome and what `run` says it produced.
/// `version` is the release the step is for [default: the workspace's].
pub fn execute<T>(
    sh: &xshell::Shell,
    ws: &crate::workspace::Workspace,
    command: &str,
    plan: &impl Serialize,
    approve: Option<&str>,
    version: Option<&semver::Version>,
    run: impl FnOnce(&mut crate::audit::Produced) -> Result<T>,
) -> Result<T> {
    let value = subject(plan, &WorkTree::read(sh, &ws.target_dir))?;
    let approval = gate(&ws.target_dir, command, &ws.config.require_approval, ws.config.table, approve, &value)?;
    let current = match version {
        Some(version) => Some(version.clone()),
        None => crate::version::current(ws).ok(),
    };
    let trail = crate::audit::trail(sh, ws, current.as_ref()).with_plan(approval.plan_digest, approval.approved);
    trail.step(command, run)
}

fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn digest_ignores_key_order_but_not_values() {
        let a = json!({"b": 1, "a": {"y": [1, 2], "x": "s"}});
        let b = json!({"a": {"x": "s", "y": [1, 2]}, "b": 1});
        assert_eq!(canonical_json(&a), r#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
        assert_eq!(digest_value(&a), digest_value(&b));
        assert_ne!(digest_value(&a), digest_value(&json!({"a": {"x": "s", "y": [2, 1]}, "b": 1})));
        assert!(digest_value(&a).starts_with("sha256:") && digest_value(&a).len() == 71);
    }

    #[test]
    fn the_gate() {
        const TABLE: &str = crate::config::WORKSPACE_TABLE;
        let tmp = tempfile::tempdir().unwrap();
        let root = Utf8Path::from_path(tmp.path()).unwrap();
        let old = json!({"version": "0.2.0", "crates": [{"name": "a"}, {"name": "b"}]});
        let new = json!({"version": "0.2.1", "crates": [{"name": "a"}, {"name": "c"}]});
        let required = vec!["rollback".to_string()];
        // Not required, not given: proceeds, unapproved.
        assert_eq!(gate(root, "tag", &required, TABLE, None, &new).unwrap().approved, None);
        let err = gate(root, "rollback", &required, TABLE, None, &new).unwrap_err().to_string();
        assert!(err.contains("needs an approved plan") && err.contains("nothing was done"), "{err}");
        // The right digest, in any case, with or without its prefix.
        let digest = digest_value(&new);
        let upper = digest.trim_start_matches("sha256:").to_uppercase();
        assert_eq!(
            gate(root, "rollback", &required, TABLE, Some(&upper), &new).unwrap().approved,
            Some(digest.clone())
        );
        // A stale approval names what differs when the approved plan was kept.
        let stale = digest_value(&old);
        let err = gate(root, "tag", &[], TABLE, Some(&stale), &new).unwrap_err().to_string();
        assert!(err.contains("cannot be named"), "{err}");
        save_plan(root, &stale, &old).unwrap();
        let err = gate(root, "tag", &[], TABLE, Some(&stale), &new).unwrap_err().to_string();
        assert!(err.contains(r#"version: "0.2.0" -> "0.2.1""#), "{err}");
        assert!(err.contains(r#"crates[1].name: "b" -> "c""#), "{err}");
        assert!(gate(root, "tag", &[], TABLE, Some("sha256:nope"), &new).unwrap_err().to_string().contains("64 hex"));
    }
}

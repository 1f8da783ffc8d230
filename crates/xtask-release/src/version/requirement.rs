//! How an internal dependency requirement follows a new version of the crate it names.
//!
//! A single `^`, `~`, `=` or bare requirement is rewritten to the new version with its
//! operator and its precision kept as written (`=0.1.5` becomes `=0.2.0`, `~0.1` becomes
//! `~0.2`, `0.1` becomes `2.0` for 2.0.0), as cargo-release and cargo-edit do; a
//! pre-release is always written in full, since a shorter requirement would not match it. Anything
//! else (`>=0.1, <0.3`, `0.1.*`, `*`) was written by hand for a reason: it is left alone
//! when the new version still satisfies it and refused otherwise, for the user to widen.

use semver::{Op, Version, VersionReq};

/// The new text of `req` for a crate now at `new`: `Ok(None)` when it stays as it is,
/// `Err` with the reason when it cannot follow.
pub fn follow(req: &str, new: &Version) -> Result<Option<String>, String> {
    let parsed = VersionReq::parse(req).map_err(|e| format!("`{req}` is not a version requirement ({e})"))?;
    let simple = matches!(parsed.comparators.as_slice(), [c] if matches!(c.op, Op::Exact | Op::Caret | Op::Tilde));
    if simple {
        let operator_end = req.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let written = req[operator_end..].trim();
        let precision = written.split('.').count();
        let version = match precision {
            1 if new.pre.is_empty() => new.major.to_string(),
            2 if new.pre.is_empty() => format!("{}.{}", new.major, new.minor),
            _ => new.to_string(),
        };
        let rewritten = format!("{}{version}", &req[..operator_end]);
        return Ok((rewritten != req).then_some(rewritten));
    }
    if parsed.matches(new) {
        Ok(None)
    } else {
        Err(format!(
            "`{req}` does not accept {new} and is not a single ^, ~ or = requirement that bump rewrites; widen it by hand"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_are_kept() {
        let new = Version::parse("0.2.0").unwrap();
        #[rustfmt::skip]
        let table = [
            ("0.1.0", Ok(Some("0.2.0"))),
            ("^0.1", Ok(Some("^0.2"))),
            ("0.1", Ok(Some("0.2"))),
            ("1", Ok(Some("0"))),
            ("0.2", Ok(None)),
            ("~0.1.3", Ok(Some("~0.2.0"))),
            ("=0.1.5", Ok(Some("=0.2.0"))),
            ("= 0.1.5", Ok(Some("= 0.2.0"))),
            ("0.2.0", Ok(None)),
            (">=0.1, <0.3", Ok(None)),
            ("*", Ok(None)),
            (">=0.1, <0.2", Err("widen it by hand")),
            ("0.1.*", Err("widen it by hand")),
            ("nope", Err("not a version requirement")),
        ];
        for (req, want) in table {
            match (follow(req, &new), want) {
                (Ok(got), Ok(want)) => assert_eq!(got.as_deref(), want, "{req}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{req}: {got}"),
                (got, want) => panic!("{req}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn precision_is_kept_as_cargo_release_and_cargo_edit_do() {
        let v = |s: &str| Version::parse(s).unwrap();
        assert_eq!(follow("0.1", &v("2.0.0")), Ok(Some("2.0".into())));
        assert_eq!(follow("^1", &v("2.0.0")), Ok(Some("^2".into())));
        assert_eq!(follow("=0.1", &v("0.1.4")), Ok(None));
        assert_eq!(follow("~1.2", &v("1.3.0")), Ok(Some("~1.3".into())));
        // A pre-release is written in full: `2.0` does not accept 2.0.0-rc.1.
        assert_eq!(follow("0.1", &v("2.0.0-rc.1")), Ok(Some("2.0.0-rc.1".into())));
    }
}

//! The files inside a packaged `.crate` (a gzip'd tar of `NAME-VERSION/...`), read from
//! the very bytes that were hashed, with a bound on what one entry may take in memory.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use anyhow::{Context as _, Result, bail};

/// No manifest, readme or license cargo packages comes near this; crates.io refuses a
/// whole `.crate` over 10 MiB.
pub const MAX_ENTRY: u64 = 10 * 1024 * 1024;

/// The contents of the `wanted` files (paths inside the package, as the packaged manifest
/// names them) that the `.crate` holds under `stem/`, keyed as asked. A wanted file that is
/// missing is simply absent from the map; one over [`MAX_ENTRY`] is an error.
pub fn files(bytes: &[u8], stem: &str, wanted: &[&str]) -> Result<BTreeMap<String, Vec<u8>>> {
    files_up_to(bytes, stem, wanted, MAX_ENTRY)
}

fn files_up_to(bytes: &[u8], stem: &str, wanted: &[&str], limit: u64) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut found = BTreeMap::new();
    for_each_file(bytes, stem, |path, size, content| {
        let Some(&key) = wanted.iter().find(|want| path == Path::new(stem).join(want)) else { return Ok(()) };
        if size > limit {
            bail!("{key} in {stem}.crate is {size} bytes, more than the {limit} read from a package; make it smaller");
        }
        let mut read = Vec::with_capacity(size as usize);
        content.take(limit).read_to_end(&mut read).with_context(|| format!("cannot read {key} in {stem}.crate"))?;
        found.insert(key.to_string(), read);
        Ok(())
    })?;
    Ok(found)
}

/// Calls `each` with every file the `.crate` of `stem` holds, in order: its path as the
/// archive has it (`stem/...`), its size as its header says, and its content.
pub fn for_each_file(
    bytes: &[u8],
    stem: &str,
    mut each: impl FnMut(&Path, u64, &mut dyn Read) -> Result<()>,
) -> Result<()> {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let entries = archive.entries().with_context(|| format!("{stem}.crate is not a gzip'd tar"))?;
    for entry in entries {
        let mut entry = entry.with_context(|| format!("{stem}.crate is not a readable gzip'd tar"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path =
            entry.path().with_context(|| format!("{stem}.crate has an entry with an unreadable path"))?.into_owned();
        let size = entry.header().size().with_context(|| format!("{stem}.crate: bad size of {}", path.display()))?;
        each(&path, size, &mut entry)?;
    }
    Ok(())
}

/// A `.crate` as cargo writes one, for tests: `files` under `stem/`.
#[cfg(test)]
pub fn build(stem: &str, files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, format!("{stem}/{path}"), *content).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_the_wanted_files_of_the_package_and_refuses_big_ones() {
        let bytes = build(
            "a-1.0.0",
            &[("Cargo.toml", b"[package]"), ("src/Cargo.toml", b"not this"), ("docs/README.md", b"0123456789")],
        );
        let found = files(&bytes, "a-1.0.0", &["Cargo.toml", "./docs/README.md", "LICENSE"]).unwrap();
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found["Cargo.toml"], b"[package]");
        assert_eq!(found["./docs/README.md"], b"0123456789");
        assert!(files(&bytes, "b-1.0.0", &["Cargo.toml"]).unwrap().is_empty(), "another package's stem");
        let err = format!("{:#}", files_up_to(&bytes, "a-1.0.0", &["docs/README.md"], 9).unwrap_err());
        assert!(err.contains("docs/README.md in a-1.0.0.crate is 10 bytes, more than the 9"), "{err}");
        assert!(files(b"not gzip", "a-1.0.0", &["Cargo.toml"]).is_err());
    }
}

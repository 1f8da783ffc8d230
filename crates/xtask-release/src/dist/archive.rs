//! Archives of a target's binaries with their README and LICENSE files, written
//! in-process (`tar` + `flate2`, `zip` with deflate) rather than by whatever `tar` is on
//! PATH, so they come out the same on every runner: entries sorted by name, a fixed
//! mtime (1980-01-01, the earliest time zip can hold), uid and gid 0, mode 0755 for
//! binaries and 0644 for the rest, no user or host names, and a gzip header without a
//! file name, time or OS. The same files give byte-identical archives.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use super::targets::Archive;

/// 1980-01-01 00:00:00 UTC, as seconds since the Unix epoch.
const MTIME: u64 = 315_532_800;

/// A file going into an archive: its name there and where it is now.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub source: PathBuf,
    pub executable: bool,
}

/// Writes `members` into a new archive at `out`.
pub fn write(kind: Archive, out: &Path, members: &[Member]) -> Result<()> {
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = sorted.windows(2).find(|w| w[0].name == w[1].name) {
        bail!(
            "two files would go into {} as `{}` ({} and {}); rename one of them",
            out.display(),
            pair[0].name,
            pair[0].source.display(),
            pair[1].source.display()
        );
    }
    let file = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let written = match kind {
        Archive::TarGz => write_tar_gz(BufWriter::new(file), &sorted),
        Archive::Zip => write_zip(BufWriter::new(file), &sorted),
    };
    written.with_context(|| format!("cannot write {}", out.display()))
}

fn mode(member: &Member) -> u32 {
    if member.executable { 0o755 } else { 0o644 }
}

fn open(member: &Member) -> Result<(File, u64)> {
    let file = File::open(&member.source).with_context(|| format!("cannot read {}", member.source.display()))?;
    let size = file.metadata().with_context(|| format!("cannot read {}", member.source.display()))?.len();
    Ok((file, size))
}

fn write_tar_gz(out: BufWriter<File>, members: &[&Member]) -> Result<()> {
    // Operating system 255 is "unknown": the header is the same whichever OS wrote it.
    let gz = flate2::GzBuilder::new().mtime(0).operating_system(255).write(out, flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    for member in members {
        let (file, size) = open(member)?;
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(size);
        header.set_mode(mode(member));
        header.set_mtime(MTIME);
        header.set_uid(0);
        header.set_gid(0);
        tar.append_data(&mut header, &member.name, file)?;
    }
    let gz = tar.into_inner()?;
    finish(gz.finish()?)
}

fn write_zip(out: BufWriter<File>, members: &[&Member]) -> Result<()> {
    let mut zip = zip::ZipWriter::new(out);
    for member in members {
        let (mut file, size) = open(member)?;
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(9))
            .last_modified_time(zip::DateTime::default())
            // Unix, so that unzip applies the mode and the binary stays executable.
            .system(zip::System::Unix)
            .unix_permissions(mode(member))
            .large_file(size >= u64::from(u32::MAX));
        zip.start_file(member.name.as_str(), options)?;
        io::copy(&mut file, &mut zip).with_context(|| format!("cannot read {}", member.source.display()))?;
    }
    finish(zip.finish()?)
}

fn finish(out: BufWriter<File>) -> Result<()> {
    let mut file = out.into_inner().map_err(|e| e.into_error())?;
    file.flush()?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_files_give_the_same_bytes_in_any_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("tool"), vec![7u8; 100_000]).unwrap();
        std::fs::write(dir.join("README.md"), "# tool\n").unwrap();
        let member = |name: &str, executable| Member { name: name.into(), source: dir.join(name), executable };
        let forward = [member("tool", true), member("README.md", false)];
        let backward = [member("README.md", false), member("tool", true)];
        for kind in [Archive::TarGz, Archive::Zip] {
            write(kind, &dir.join("a"), &forward).unwrap();
            // Another mtime on the source must not show in the archive.
            std::fs::write(dir.join("README.md"), "# tool\n").unwrap();
            write(kind, &dir.join("b"), &backward).unwrap();
            let (a, b) = (std::fs::read(dir.join("a")).unwrap(), std::fs::read(dir.join("b")).unwrap());
            assert_eq!(a, b, "{kind:?}");
            assert!(a.len() < 10_000, "{kind:?} is not compressed: {} bytes", a.len());
        }
        let twice = [member("tool", true), member("tool", false)];
        let err = write(Archive::Zip, &dir.join("c"), &twice).unwrap_err().to_string();
        assert!(err.contains("two files would go into") && err.contains("as `tool`"), "{err}");
    }
}

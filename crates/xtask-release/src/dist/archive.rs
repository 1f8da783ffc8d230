//! Archives of a binary with its README and LICENSE files.
//!
//! `tar.gz` is made by the platform's `tar` (GNU tar on Linux, bsdtar on macOS and on
//! Windows 10 and later), which compresses. `zip` is written here, as a minimal archive
//! of stored (uncompressed) entries: `tar` writes zip only as bsdtar, and on a Windows
//! runner the `tar` first on PATH may be Git's GNU tar, while a stored zip needs nothing
//! but a CRC-32. Its entries keep the Unix mode, so the binary stays executable, and a
//! fixed timestamp, so the same inputs give the same bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use xshell::{Shell, cmd};

use super::targets::Archive;

/// A file going into an archive: its name there and where it is now.
#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub source: PathBuf,
    pub executable: bool,
}

/// Writes `members` into a new archive at `out`.
pub fn write(sh: &Shell, kind: Archive, out: &Path, members: &[Member]) -> Result<()> {
    match kind {
        Archive::TarGz => write_tar_gz(sh, out, members),
        Archive::Zip => write_zip(out, members).with_context(|| format!("cannot write {}", out.display())),
    }
}

/// Copies the members under their archive names into a staging directory beside `out`
/// and lets `tar` pack it, so the archive holds plain names and no directory.
fn write_tar_gz(sh: &Shell, out: &Path, members: &[Member]) -> Result<()> {
    let staging = out.with_extension("staging");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).with_context(|| format!("cannot create {}", staging.display()))?;
    let result = (|| {
        for member in members {
            let to = staging.join(&member.name);
            std::fs::copy(&member.source, &to)
                .with_context(|| format!("cannot copy {} to {}", member.source.display(), to.display()))?;
        }
        let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
        cmd!(sh, "tar -czf {out} -C {staging} {names...}")
            .quiet()
            .run()
            .with_context(|| format!("tar failed to write {}", out.display()))
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

fn write_zip(out: &Path, members: &[Member]) -> Result<()> {
    const VERSION: u16 = 20;
    const UTF8_NAMES: u16 = 1 << 11;
    // 1980-01-01 00:00, the earliest DOS date.
    const DOS_DATE: u16 = (1 << 5) | 1;
    let mut w = BufWriter::new(File::create(out)?);
    let mut central = Vec::new();
    let mut offset: u32 = 0;
    for member in members {
        let data = std::fs::read(&member.source).with_context(|| format!("cannot read {}", member.source.display()))?;
        let (Ok(size), Ok(name_len)) = (u32::try_from(data.len()), u16::try_from(member.name.len())) else {
            bail!("{} is too large for a zip without zip64; use tar.gz for this target", member.source.display());
        };
        let crc = crc32(&data);
        let mode: u32 = if member.executable { 0o100755 } else { 0o100644 };
        let mut local = Vec::new();
        put32(&mut local, 0x0403_4b50);
        for v in [VERSION, UTF8_NAMES, 0, 0, DOS_DATE] {
            put16(&mut local, v);
        }
        for v in [crc, size, size] {
            put32(&mut local, v);
        }
        put16(&mut local, name_len);
        put16(&mut local, 0);
        local.extend_from_slice(member.name.as_bytes());
        w.write_all(&local)?;
        w.write_all(&data)?;

        put32(&mut central, 0x0201_4b50);
        // Made by Unix (3), so readers honour the mode in the external attributes.
        for v in [(3 << 8) | VERSION, VERSION, UTF8_NAMES, 0, 0, DOS_DATE] {
            put16(&mut central, v);
        }
        for v in [crc, size, size] {
            put32(&mut central, v);
        }
        for v in [name_len, 0, 0, 0, 0] {
            put16(&mut central, v);
        }
        put32(&mut central, mode << 16);
        put32(&mut central, offset);
        central.extend_from_slice(member.name.as_bytes());
        offset = offset
            .checked_add(local.len() as u32 + size)
            .with_context(|| format!("{} would exceed 4 GiB; use tar.gz for this target", out.display()))?;
    }
    let count = u16::try_from(members.len()).context("too many files for a zip")?;
    w.write_all(&central)?;
    let mut end = Vec::new();
    put32(&mut end, 0x0605_4b50);
    for v in [0, 0, count, count] {
        put16(&mut end, v);
    }
    put32(&mut end, central.len() as u32);
    put32(&mut end, offset);
    put16(&mut end, 0);
    w.write_all(&end)?;
    w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

fn put16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_le_bytes());
}

fn put32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

/// CRC-32 (IEEE), as zip requires, with the usual byte-wise table.
fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    !data.iter().fold(!0u32, |c, &b| TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b""), 0);
    }
}

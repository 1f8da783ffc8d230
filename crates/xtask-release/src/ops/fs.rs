//! File reads and atomic writes that name the file when they fail. A read takes only a
//! regular file, and only up to a cap for its kind; a write lands inside the workspace.

use std::fs::File;
use std::io::{self, Read as _, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use cargo_metadata::camino::{Utf8Path, Utf8PathBuf};

/// The most of one kind of file that is read into memory. A file over it is refused,
/// naming the cap: a lock file of a gigabyte is not a lock file, and a link to
/// `/dev/zero` or a log in the wrong place must not take the machine's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    bytes: u64,
    /// What is read, for the error.
    kind: &'static str,
}

impl Cap {
    /// Manifests, Cargo.lock, changelogs, extra files, cargo's config, our own records.
    pub const TEXT: Cap = Cap { bytes: 32 << 20, kind: "manifest, lock file, changelog or other text file" };
    /// A `.sha256` file: one line naming one file.
    pub const SIDECAR: Cap = Cap { bytes: 4 << 10, kind: "`.sha256` file" };
    /// A sums file (`SHA256SUMS`): a line for each asset.
    pub const SUMS: Cap = Cap { bytes: 4 << 20, kind: "sums file" };
    /// The audit log: a line for each step of every run, kept for the life of a project.
    pub const AUDIT_LOG: Cap = Cap { bytes: 256 << 20, kind: "audit log" };
}

impl std::fmt::Display for Cap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.bytes {
            b if b >= 1 << 20 => write!(f, "{} MiB", b >> 20),
            b => write!(f, "{} KiB", b >> 10),
        }
    }
}

/// Reads the text file at `path`, up to [`Cap::TEXT`].
pub fn read(path: impl AsRef<Path>) -> Result<String> {
    read_capped(path, Cap::TEXT)
}

/// Reads the text file at `path`, which must be a regular file of at most `cap`.
pub fn read_capped(path: impl AsRef<Path>, cap: Cap) -> Result<String> {
    let path = path.as_ref();
    String::from_utf8(read_bytes(path, cap)?)
        .with_context(|| format!("cannot read {}: it is not UTF-8 text", path.display()))
}

/// [`read_capped`], or `None` when nothing is at `path` (a dangling symlink included).
pub fn read_optional(path: impl AsRef<Path>, cap: Cap) -> Result<Option<String>> {
    let path = path.as_ref();
    match std::fs::metadata(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        _ => read_capped(path, cap).map(Some),
    }
}

/// The bytes of the regular file at `path`, at most `cap` of them. A FIFO, socket or
/// device is refused without being read (see [`open_regular`]).
pub fn read_bytes(path: impl AsRef<Path>, cap: Cap) -> Result<Vec<u8>> {
    let path = path.as_ref();
    let cannot = || format!("cannot read {}", path.display());
    let file = open_regular(path).with_context(cannot)?;
    let too_big = |size: String| {
        anyhow::anyhow!(
            "{} is {size}, more than the {cap} a {} may be; check that it is the file you meant (it is \
             not read into memory)",
            path.display(),
            cap.kind
        )
    };
    let len = file.metadata().with_context(cannot)?.len();
    if len > cap.bytes {
        return Err(too_big(format!("{len} bytes")));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    // The size can grow while we read: never take more than the cap.
    file.take(cap.bytes + 1).read_to_end(&mut bytes).with_context(cannot)?;
    if bytes.len() as u64 > cap.bytes {
        return Err(too_big("larger still".into()));
    }
    Ok(bytes)
}

/// Opens `path` for reading when it is a regular file (through symlinks). Anything else
/// is refused before it is opened: opening a FIFO waits for a writer that may never
/// come, and a device may never end. The open file is checked again, in case the path
/// was replaced in between (a FIFO put there in that instant could still block the open:
/// std has no portable `O_NONBLOCK`, and the window is one system call wide).
pub fn open_regular(path: &Path) -> io::Result<File> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    Ok(file)
}

/// `it is a FIFO (named pipe), not a regular file; ...`, naming the link's target when
/// `path` is a symlink. Its kind is `InvalidInput`, which callers match on.
fn not_regular(path: &Path, meta: &std::fs::Metadata) -> io::Error {
    let link = std::fs::read_link(path).map(|target| format!("a symlink to {}, ", target.display()));
    let what =
        format!("it is {}{}, not a regular file; put the file itself there", link.unwrap_or_default(), file_kind(meta));
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let kind = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        } else if kind.is_socket() {
            return "a socket";
        } else if kind.is_char_device() {
            return "a character device";
        } else if kind.is_block_device() {
            return "a block device";
        }
    }
    if kind.is_dir() { "a directory" } else { "not a file" }
}

/// Refuses a write to `path` that would land outside `root` through a symlink, at
/// `path` itself or at a directory on its way, naming the link ([`link_out_of`]) and its
/// target. A link
/// that stays inside the workspace is fine: [`write_atomic`] writes through it.
pub fn check_inside(root: &Utf8Path, path: &Utf8Path) -> Result<()> {
    let real_root = std::fs::canonicalize(root).with_context(|| format!("cannot resolve the workspace root {root}"))?;
    let landing = landing(path)?;
    if landing.starts_with(&real_root) {
        return Ok(());
    }
    let shown = |p: &Utf8Path| p.strip_prefix(root).unwrap_or(p).to_string();
    let Some(link) = link_out_of(root, path) else {
        bail!("{path} is outside the workspace {root}; xtask-release writes only inside it");
    };
    let target = std::fs::read_link(&link).map(|t| t.display().to_string()).unwrap_or_default();
    let resolved = match link == path && Path::new(&target) != landing {
        true => format!(" ({})", landing.display()),
        false => String::new(),
    };
    let writing = match link == path {
        true => "writing it would change that file".to_string(),
        false => format!("writing {} would change {}", shown(path), landing.display()),
    };
    bail!(
        "{} is a symlink to {target}{resolved}, outside the workspace {root}; {writing}, so nothing was \
         written. Replace the link with the file itself, or point it inside the workspace",
        shown(&link),
    )
}

/// Where a write to `path` lands: the path resolved, or for a file not there yet, its
/// nearest existing directory resolved and the rest appended.
fn landing(path: &Utf8Path) -> Result<PathBuf> {
    let mut rest = Vec::new();
    let mut at = path;
    loop {
        match std::fs::canonicalize(at) {
            Ok(real) => return Ok(rest.iter().rev().fold(real, |p, name| p.join(name))),
            Err(_) if std::fs::symlink_metadata(at).is_ok() => {
                bail!("{at} is a symlink whose target cannot be resolved; fix or replace the link")
            }
            Err(_) => match (at.file_name(), at.parent()) {
                (Some(name), Some(parent)) => {
                    rest.push(name);
                    at = parent;
                }
                _ => bail!("cannot tell where {path} is; give a plain path inside the workspace"),
            },
        }
    }
}

/// The symlink on the way from `root` to `path` (`path` itself included) that leads out
/// of `root`, or one whose target cannot be resolved; `None` when every existing part of
/// the path stays inside, or `path` is not under `root`.
pub fn link_out_of(root: &Utf8Path, path: &Utf8Path) -> Option<Utf8PathBuf> {
    let inside = std::fs::canonicalize(root).ok()?;
    let mut at = root.to_path_buf();
    for part in path.strip_prefix(root).ok()?.components() {
        at.push(part);
        let Ok(meta) = std::fs::symlink_metadata(&at) else { return None };
        if meta.file_type().is_symlink() && !std::fs::canonicalize(&at).is_ok_and(|to| to.starts_with(&inside)) {
            return Some(at);
        }
    }
    None
}

/// Writes `contents` to a temporary file beside `path` and renames it over `path`, so a
/// reader (or an interrupted run) sees either the old file or the new one, never half.
/// The permissions of an existing file are kept, and a symlink is written through: its
/// target gets the new contents and the link stays a link. After an error no temporary
/// file is left; one left by a killed run is [`stale_temp`].
pub fn write_atomic(path: &Utf8Path, contents: &[u8]) -> Result<()> {
    let target = link_target(path)?;
    let tmp = temp_path(&target).with_context(|| format!("{path} is not a file path"))?;
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(contents)?;
        if let Ok(meta) = std::fs::metadata(&target) {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    if result.is_err() && std::fs::symlink_metadata(&tmp).is_ok_and(|m| m.is_file()) {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| match target == path {
        true => format!("cannot write {path}"),
        false => format!("cannot write {path} (a symlink to {target})"),
    })
}

/// The file a symlink at `path` finally names, or `path` itself.
fn link_target(path: &Utf8Path) -> Result<Utf8PathBuf> {
    if !std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Ok(path.to_path_buf());
    }
    let target = std::fs::canonicalize(path)
        .with_context(|| format!("{path} is a symlink whose target cannot be resolved; fix or replace the link"))?;
    Utf8PathBuf::try_from(target).with_context(|| format!("the target of the symlink {path} is not a UTF-8 path"))
}

/// `.NAME.xtask-release.tmp` beside `path`: where [`write_atomic`] writes first.
pub fn temp_path(path: &Utf8Path) -> Option<Utf8PathBuf> {
    let dir = path.parent().filter(|p| !p.as_str().is_empty()).unwrap_or(Utf8Path::new("."));
    Some(dir.join(format!(".{}.xtask-release.tmp", path.file_name()?)))
}

/// The temporary file a killed run left beside `path` (its target, for a symlink), if any:
/// a regular file at [`temp_path`]. Anything else there is not ours and is left alone.
pub fn stale_temp(path: &Utf8Path) -> Option<Utf8PathBuf> {
    let target = link_target(path).ok()?;
    let tmp = temp_path(&target)?;
    std::fs::symlink_metadata(&tmp).is_ok_and(|m| m.is_file()).then_some(tmp)
}

/// A planned change to one file: its whole text before and after. Plans hold these so a
/// dry run can print them as diffs and an execution can write them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FileEdit {
    pub path: cargo_metadata::camino::Utf8PathBuf,
    #[serde(skip)]
    pub before: String,
    /// The file's whole new text, in a JSON plan as `content`.
    #[serde(rename = "content")]
    pub after: String,
}

impl FileEdit {
    /// A unified diff with the path shown relative to `root`.
    pub fn diff(&self, root: &Utf8Path) -> String {
        let shown = self.path.strip_prefix(root).unwrap_or(&self.path);
        crate::ops::diff::unified(shown.as_str(), &self.before, &self.after)
    }

    pub fn apply(&self) -> Result<()> {
        write_atomic(&self.path, self.after.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf8(path: &Path) -> Utf8PathBuf {
        Utf8PathBuf::try_from(path.to_path_buf()).unwrap()
    }

    #[test]
    fn a_file_over_its_cap_is_refused_naming_the_file_and_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.sha256");
        std::fs::write(&path, "x".repeat(5000)).unwrap();
        let err = read_capped(&path, Cap::SIDECAR).unwrap_err().to_string();
        assert!(err.contains("a.sha256 is 5000 bytes, more than the 4 KiB a `.sha256` file may be"), "{err}");
        std::fs::write(&path, "x".repeat(4096)).unwrap();
        assert_eq!(read_capped(&path, Cap::SIDECAR).unwrap().len(), 4096);
        assert_eq!(Cap::AUDIT_LOG.to_string(), "256 MiB");
    }

    #[test]
    #[cfg(unix)]
    fn special_files_are_refused_without_being_read() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        // Opening the FIFO for reading would wait for a writer: this returns at once.
        let err = format!("{:#}", read(&fifo).unwrap_err());
        assert!(err.contains("it is a FIFO (named pipe), not a regular file"), "{err}");
        let zero = dir.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let err = format!("{:#}", read(&zero).unwrap_err());
        assert!(err.contains("it is a symlink to /dev/zero, a character device, not a regular file"), "{err}");
        assert_eq!(read_optional(dir.path().join("none"), Cap::TEXT).unwrap(), None);
        assert!(read_optional(dir.path(), Cap::TEXT).unwrap_err().root_cause().to_string().contains("a directory"));
    }

    #[test]
    #[cfg(unix)]
    fn writes_stay_inside_the_root_whatever_the_links_say() {
        let dir = tempfile::tempdir().unwrap();
        let root = utf8(&dir.path().join("ws"));
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(dir.path().join("outside.md"), "").unwrap();
        std::fs::write(root.join("docs/real.md"), "").unwrap();
        let link = |target: &str, at: &str| std::os::unix::fs::symlink(target, root.join(at)).unwrap();
        link("docs/real.md", "inside.md");
        link("../outside.md", "out.md");
        link("..", "up");
        for fine in ["Cargo.toml", "inside.md", "docs/real.md", "new/dir/file.yml"] {
            check_inside(&root, &root.join(fine)).unwrap_or_else(|e| panic!("{fine}: {e:#}"));
        }
        let err = check_inside(&root, &root.join("out.md")).unwrap_err().to_string();
        assert!(err.starts_with("out.md is a symlink to ../outside.md ("), "{err}");
        assert!(err.contains("outside the workspace"), "{err}");
        let err = check_inside(&root, &root.join("up/ws2/new.md")).unwrap_err().to_string();
        assert!(err.starts_with("up is a symlink to .., outside the workspace"), "{err}");
        assert!(err.contains("writing up/ws2/new.md would change"), "{err}");
    }
}

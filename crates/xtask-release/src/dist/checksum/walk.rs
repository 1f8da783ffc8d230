//! Which files checksums cover: walking asset directories, the `.sha256` beside a file,
//! and names relative to a sums file's directory.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context as _, Result, bail};

/// What a walk found: the regular files, and special files (FIFOs, sockets, devices)
/// that it left out without opening them.
#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<PathBuf>,
    pub skipped: Vec<PathBuf>,
}

/// The checksum file written beside `file`.
pub fn sidecar(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

/// A `.sha256` file, or a combined sums file by its conventional name (`SHA256SUMS`,
/// `sha256sums.txt`): never hashed itself when walking, always read when verifying.
pub fn is_checksum_file(path: &Path) -> bool {
    is_sidecar(path)
        || path.file_name().is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().starts_with("sha256sums"))
}

/// A `.sha256` file, which holds the checksum of exactly the file it is named after.
pub fn is_sidecar(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "sha256")
}

/// Every file under `dir`, sorted, leaving out hidden files and directories (such as a
/// half-written `.name.xtask-release.tmp`) and symlinked directories. Special files are
/// reported apart and never opened: reading a FIFO would wait forever.
pub fn walk(dir: &Path) -> Result<Walked> {
    let mut walked = Walked::default();
    walk_into(dir, &mut walked)?;
    Ok(walked)
}

fn walk_into(dir: &Path, walked: &mut Walked) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .and_then(|rd| rd.collect::<std::io::Result<Vec<_>>>())
        .with_context(|| format!("cannot list {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // Symlinked directories are left out: a link back up would never end.
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            walk_into(&path, walked)?;
            continue;
        }
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) if !meta.is_file() => walked.skipped.push(path),
            // A regular file, or a dangling link whose read error names it later.
            _ => walked.files.push(path),
        }
    }
    Ok(())
}

/// Refuses a path named on the command line that is not a regular file or directory.
pub fn check_regular(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() || meta.is_dir() => Ok(()),
        Ok(_) => bail!(
            "{} is not a regular file (a FIFO, socket or device); name the asset files or their directory",
            path.display()
        ),
        Err(_) if path.symlink_metadata().is_ok() => Ok(()),
        Err(_) => bail!("{} does not exist; name existing files or directories", path.display()),
    }
}

/// A name read from a sums file, checked to stay inside the file's directory: relative,
/// without `..`, so a checksum file cannot make us read `/etc/hostname` or `../../x`.
pub fn contained_name(name: &str) -> Option<PathBuf> {
    let path = Path::new(name);
    let plain = path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    // `\` and a drive letter are separators and roots on Windows; refuse them everywhere
    // so a sums file means the same on every runner.
    let windows_like = name.contains('\\') || name.as_bytes().get(1) == Some(&b':');
    (plain && !windows_like && !name.is_empty()).then(|| path.to_path_buf())
}

/// `file` named relative to `dir` with `/` separators, as a sums file in `dir` lists it.
/// Both are resolved first, so `./a/../b` and symlinked directories come out right; a
/// file outside `dir` is refused, since the sums file could not name it.
pub fn relative_name(dir: &Path, file: &Path) -> Result<String> {
    let dir = dir.canonicalize().with_context(|| format!("cannot find the directory {}", dir.display()))?;
    let resolved = canonical_file(file)?;
    let Ok(rel) = resolved.strip_prefix(&dir) else {
        bail!(
            "{} is outside {}, the sums file's directory; a sums file may name only files below it, \
             so put it in a directory that holds every file (e.g. dist/SHA256SUMS)",
            file.display(),
            dir.display()
        );
    };
    let mut parts = Vec::new();
    for part in rel.components() {
        let part = part.as_os_str().to_str().with_context(|| format!("{} is not a UTF-8 path", file.display()))?;
        parts.push(part);
    }
    Ok(parts.join("/"))
}

/// The file's directory resolved, with its own name kept (a symlinked asset keeps its name).
pub fn canonical_file(file: &Path) -> Result<PathBuf> {
    let name = file.file_name().with_context(|| format!("{} is not a file", file.display()))?;
    let dir = parent_dir(file);
    let dir = dir.canonicalize().with_context(|| format!("cannot find the directory of {}", file.display()))?;
    Ok(dir.join(name))
}

pub fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

pub fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .with_context(|| format!("{} has no UTF-8 file name; rename it", path.display()))
}

pub fn shown_list(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_relative_to_the_sums_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("dist/linux")).unwrap();
        std::fs::create_dir_all(root.join("other")).unwrap();
        std::fs::write(root.join("dist/linux/a"), "").unwrap();
        std::fs::write(root.join("other/b"), "").unwrap();
        assert_eq!(relative_name(&root.join("dist"), &root.join("dist/linux/a")).unwrap(), "linux/a");
        let err = relative_name(&root.join("dist"), &root.join("other/../other/b")).unwrap_err().to_string();
        assert!(err.contains("is outside") && err.contains("dist/SHA256SUMS"), "{err}");
    }

    #[test]
    fn names_that_leave_the_directory_are_refused() {
        assert_eq!(contained_name("a/b.tar.gz"), Some(PathBuf::from("a/b.tar.gz")));
        assert_eq!(contained_name("./a"), Some(PathBuf::from("./a")));
        for bad in ["../a", "a/../../b", "/etc/hostname", "C:/x", "a\\..\\b", ""] {
            assert_eq!(contained_name(bad), None, "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn walking_leaves_out_hidden_files_symlinked_directories_and_fifos() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for name in ["b", "sub/a", ".half.xtask-release.tmp"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        std::os::unix::fs::symlink("..", dir.join("sub/up")).unwrap();
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let walked = walk(dir).unwrap();
        let names: Vec<PathBuf> = walked.files.iter().map(|p| p.strip_prefix(dir).unwrap().to_path_buf()).collect();
        assert_eq!(names, [PathBuf::from("b"), PathBuf::from("sub/a")]);
        assert_eq!(walked.skipped, std::slice::from_ref(&fifo));
        assert!(check_regular(&fifo).unwrap_err().to_string().contains("not a regular file"));
    }
}

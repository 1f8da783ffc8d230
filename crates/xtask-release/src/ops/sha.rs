//! SHA-256 of files, fast: streamed in large reads, several files at once across cores.
//!
//! sha2 picks its SHA-NI (x86) or ARMv8 SHA2 backend at run time through `cpufeatures`,
//! so no crate feature is needed for the hardware path; what matters in the dev profile
//! is that sha2 itself is optimised (`[profile.dev.package.sha2] opt-level = 3`).

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use sha2::{Digest as _, Sha256};

use crate::ops::fs::open_regular;

/// Large enough that the per-read system call cost vanishes against hashing it, small
/// enough that a few of them per thread are nothing.
const CHUNK: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digest(pub [u8; 32]);

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Digest {
    /// Parses 64 hex digits, either case, as `sha256sum -c` accepts them.
    pub fn parse_hex(hex: &str) -> Option<Digest> {
        if hex.len() != 64 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
            *byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        Some(Digest(bytes))
    }
}

/// The digests of `paths`, in the same order, hashed in parallel on up to one thread a
/// core. When there are fewer files than cores, each file's reads overlap its hashing on
/// a second thread, so a single large file still runs at the hash's full speed.
pub fn hash_files(paths: &[PathBuf]) -> Vec<io::Result<Digest>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = cores.min(paths.len()).max(1);
    let pipelined = workers < cores;
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<io::Result<Digest>>> = paths.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = paths.get(i) else { break };
                        let digest = if pipelined { hash_file_pipelined(path) } else { hash_file(path) };
                        done.push((i, digest));
                    }
                    done
                })
            })
            .collect();
        for handle in handles {
            // A worker only panics on a bug of ours; pass it on rather than hide it.
            for (i, digest) in handle.join().unwrap_or_else(|e| std::panic::resume_unwind(e)) {
                results[i] = Some(digest);
            }
        }
    });
    results.into_iter().map(|r| r.unwrap_or_else(|| Err(io::Error::other("not hashed")))).collect()
}

/// SHA-256 of bytes that arrive in pieces (a download): write them in, then `finish`.
#[derive(Default)]
pub struct Hasher(Sha256);

impl Hasher {
    pub fn new() -> Hasher {
        Hasher::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn finish(self) -> Digest {
        Digest(self.0.finalize().into())
    }
}

impl io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The digest of everything `reader` yields, streamed in `CHUNK`-sized reads.
pub fn hash_reader(reader: &mut impl Read) -> io::Result<Digest> {
    let mut hasher = Hasher::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(hasher.finish()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The digest of bytes already in memory.
pub fn hash_bytes(bytes: &[u8]) -> Digest {
    Digest(Sha256::digest(bytes).into())
}

/// Streams one file through SHA-256 in `CHUNK`-sized reads.
pub fn hash_file(path: &Path) -> io::Result<Digest> {
    let mut file = open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = read_full(&mut file, &mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(Digest(hasher.finalize().into()))
}

/// Like `hash_file`, but a reader thread fills the next buffers while this one hashes.
/// Two buffers circulate between the threads, so memory stays at two chunks.
fn hash_file_pipelined(path: &Path) -> io::Result<Digest> {
    let mut file = open_regular(path)?;
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(2);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<u8>>(2);
    for _ in 0..2 {
        let _ = empty_tx.send(vec![0u8; CHUNK]);
    }
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for mut buf in empty_rx {
                let read = read_full(&mut file, &mut buf);
                let last = !matches!(read, Ok(n) if n > 0);
                if full_tx.send(read.map(|n| (buf, n))).is_err() || last {
                    break;
                }
            }
        });
        let mut hasher = Sha256::new();
        for read in full_rx {
            let (buf, n) = read?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            // The reader stops after the last chunk, so the buffer may have no taker.
            let _ = empty_tx.send(buf);
        }
        Ok(Digest(hasher.finalize().into()))
    })
}

/// Fills `buf` as far as the file goes: one `read` may return less than asked.
fn read_full(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_both_ways() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        let abc = dir.path().join("abc");
        // Crosses a chunk boundary, so the remainder handling is exercised too.
        let big = dir.path().join("big");
        std::fs::write(&empty, b"").unwrap();
        std::fs::write(&abc, b"abc").unwrap();
        std::fs::write(&big, vec![b'x'; CHUNK * 2 + 7]).unwrap();
        let big_expected = Digest(Sha256::digest(vec![b'x'; CHUNK * 2 + 7]).into());
        let paths = vec![empty.clone(), abc.clone(), big.clone(), dir.path().join("missing")];
        let digests = hash_files(&paths);
        assert_eq!(
            digests[0].as_ref().unwrap().to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            digests[1].as_ref().unwrap().to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(*digests[2].as_ref().unwrap(), big_expected);
        assert_eq!(digests[3].as_ref().unwrap_err().kind(), io::ErrorKind::NotFound);
        for path in &paths[..3] {
            assert_eq!(hash_file_pipelined(path).unwrap(), hash_file(path).unwrap());
        }
    }

    #[test]
    fn streamed_pieces_hash_like_the_whole() {
        let mut hasher = Hasher::new();
        hasher.update(b"a");
        io::Write::write_all(&mut hasher, b"bc").unwrap();
        assert_eq!(hasher.finish(), hash_bytes(b"abc"));
        assert_eq!(hash_reader(&mut &b"abc"[..]).unwrap(), hash_bytes(b"abc"));
    }

    #[test]
    fn hex_round_trip() {
        let d = Digest([0xab; 32]);
        assert_eq!(Digest::parse_hex(&d.to_string().to_uppercase()), Some(d));
        assert_eq!(Digest::parse_hex("abc"), None);
        assert_eq!(Digest::parse_hex(&"g".repeat(64)), None);
    }
}

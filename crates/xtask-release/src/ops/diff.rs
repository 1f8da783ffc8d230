//! Unified diffs of planned file edits, for dry runs.

use std::fmt::Write as _;

const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal,
    Delete,
    Insert,
}

/// A unified diff of `old` against `new` with `path` in the headers; empty when equal.
pub fn unified(path: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let ops = edit_script(&a, &b);
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    // Positions in `ops` of the changes, grouped into hunks whose context overlaps.
    let changes: Vec<usize> = (0..ops.len()).filter(|&i| ops[i] != Op::Equal).collect();
    let mut i = 0;
    while i < changes.len() {
        let mut end = i;
        while end + 1 < changes.len() && changes[end + 1] - changes[end] <= 2 * CONTEXT + 1 {
            end += 1;
        }
        let lo = changes[i].saturating_sub(CONTEXT);
        let hi = (changes[end] + CONTEXT + 1).min(ops.len());
        write_hunk(&mut out, &ops, &a, &b, lo, hi);
        i = end + 1;
    }
    out
}

fn write_hunk(out: &mut String, ops: &[Op], a: &[&str], b: &[&str], lo: usize, hi: usize) {
    // Line numbers in a and b at op index `lo`.
    let (mut ai, mut bi) = (0, 0);
    for op in &ops[..lo] {
        match op {
            Op::Equal => (ai, bi) = (ai + 1, bi + 1),
            Op::Delete => ai += 1,
            Op::Insert => bi += 1,
        }
    }
    let a_len = ops[lo..hi].iter().filter(|o| **o != Op::Insert).count();
    let b_len = ops[lo..hi].iter().filter(|o| **o != Op::Delete).count();
    let start = |at: usize, len: usize| if len == 0 { at } else { at + 1 };
    let _ = writeln!(out, "@@ -{},{a_len} +{},{b_len} @@", start(ai, a_len), start(bi, b_len));
    for op in &ops[lo..hi] {
        match op {
            Op::Equal => {
                let _ = writeln!(out, " {}", a[ai]);
                ai += 1;
                bi += 1;
            }
            Op::Delete => {
                let _ = writeln!(out, "-{}", a[ai]);
                ai += 1;
            }
            Op::Insert => {
                let _ = writeln!(out, "+{}", b[bi]);
                bi += 1;
            }
        }
    }
}

/// Myers' greedy shortest edit script: O((N+M)·D), and version edits keep D small.
fn edit_script(a: &[&str], b: &[&str]) -> Vec<Op> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (n + m) as usize;
    let offset = max as isize + 1;
    let mut v = vec![0isize; 2 * max + 3];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    'search: for d in 0..=max as isize {
        trace.push(v.clone());
        let mut k = -d;
        while k <= d {
            let idx = (k + offset) as usize;
            let mut x = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) { v[idx + 1] } else { v[idx - 1] + 1 };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx] = x;
            if x >= n && y >= m {
                break 'search;
            }
            k += 2;
        }
    }
    // Walk the trace back from (n, m) to (0, 0).
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for (d, v) in trace.iter().enumerate().rev() {
        let d = d as isize;
        let k = x - y;
        let prev_k = if k == -d || (k != d && v[(k - 1 + offset) as usize] < v[(k + 1 + offset) as usize]) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = v[(prev_k + offset) as usize];
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            ops.push(Op::Equal);
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            ops.push(if x == prev_x { Op::Insert } else { Op::Delete });
        }
        (x, y) = (prev_x, prev_y);
    }
    ops.reverse();
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("f", "a\nb\n", "a\nb\n"), "");
    }

    #[test]
    fn one_changed_line_with_context() {
        let old = "1\n2\n3\n4\nversion = \"0.1.0\"\n6\n7\n8\n9\n";
        let new = old.replace("0.1.0", "0.2.0");
        assert_eq!(
            unified("Cargo.toml", old, &new),
            "--- a/Cargo.toml\n+++ b/Cargo.toml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-version = \"0.1.0\"\n+version = \"0.2.0\"\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn distant_changes_make_two_hunks_and_insertions_count() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new = old.replacen("2\n", "two\n", 1).replace("18\n", "18\nnew\n");
        let diff = unified("f", &old, &new);
        assert!(diff.contains("@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n"), "{diff}");
        assert!(diff.ends_with("@@ -16,5 +16,6 @@\n 16\n 17\n 18\n+new\n 19\n 20\n"), "{diff}");
    }

    #[test]
    fn from_empty_file() {
        assert_eq!(unified("f", "", "a\n"), "--- a/f\n+++ b/f\n@@ -0,0 +1,1 @@\n+a\n");
    }
}

//! Loading seed inputs from test data folders.

use std::path::{Path, PathBuf};

/// Every regular file under `dir` (recursively, sorted), or none when `dir` is missing.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => out.push(path),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// The contents of every file under `dir` whose name passes `keep`, at most `max_len` bytes
/// each (longer files are skipped).
pub fn read_seeds(dir: &Path, max_len: usize, keep: impl Fn(&Path) -> bool) -> Vec<Vec<u8>> {
    files_under(dir)
        .into_iter()
        .filter(|p| keep(p))
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|b| b.len() <= max_len)
        .collect()
}

//! File operations on cgroupfs, with errors that name the directory, file, value and errno.
//!
//! Control files are opened without `O_CREAT`: a file that does not exist means the kernel
//! (or the hierarchy) lacks the feature, and writing it fails with ENOENT instead of
//! creating a regular file. In fake mode (tests, [`super::CgroupManager::with_fs`]) the tree
//! is plain files and directories: every write is also recorded, new directories get the
//! parent's file names (as the kernel would populate them), removing a directory also removes
//! its control files (but, as on cgroupfs, fails with EBUSY while it has sub-directories or
//! a test marked it busy), and signals are recorded instead of sent.

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::{Error, Result};

/// One recorded operation in fake mode: the file written (or `kill`) and the value.
pub type FakeOp = (PathBuf, String);

/// What a fake-mode filesystem records and simulates.
#[derive(Debug, Default)]
struct Fake {
    /// The operations done so far, in order.
    ops: Vec<FakeOp>,
    /// Directories whose removal fails with EBUSY: the number of failures left (None: always).
    busy: HashMap<PathBuf, Option<u32>>,
    /// Every removal attempted, in order.
    rmdirs: Vec<PathBuf>,
}

/// Access to the cgroup filesystem (real, or a fake tree for tests).
#[derive(Debug, Clone, Default)]
pub struct CgroupFs {
    /// Present in fake mode.
    fake: Option<Arc<Mutex<Fake>>>,
}

impl CgroupFs {
    /// A fake-mode filesystem that records what it does.
    pub fn fake() -> Self {
        Self {
            fake: Some(Arc::default()),
        }
    }

    /// Fake mode: removing `dir` fails with EBUSY `times` times (None: every time), as if
    /// processes were still leaving it.
    #[cfg(test)]
    pub fn set_busy(&self, dir: &Path, times: Option<u32>) {
        if let Some(f) = &self.fake {
            if let Ok(mut f) = f.lock() {
                f.busy.insert(dir.to_path_buf(), times);
            }
        }
    }

    /// Fake mode: every directory removal attempted so far, in order.
    #[cfg(test)]
    pub fn rmdir_attempts(&self) -> Vec<PathBuf> {
        self.fake
            .as_ref()
            .and_then(|f| f.lock().ok().map(|f| f.rmdirs.clone()))
            .unwrap_or_default()
    }

    /// Whether this is a fake tree of plain files.
    pub fn is_fake(&self) -> bool {
        self.fake.is_some()
    }

    /// The operations recorded so far (empty unless fake).
    #[cfg(test)]
    pub fn recorded(&self) -> Vec<FakeOp> {
        self.fake
            .as_ref()
            .and_then(|f| f.lock().ok().map(|f| f.ops.clone()))
            .unwrap_or_default()
    }

    /// Records an operation (fake mode only; a no-op otherwise).
    pub fn record(&self, path: PathBuf, value: &str) {
        if let Some(f) = &self.fake {
            if let Ok(mut f) = f.lock() {
                f.ops.push((path, value.to_string()));
            }
        }
    }

    /// Writes `value` to `dir/file` (truncating, never creating); the raw I/O error on failure.
    pub fn try_write(&self, dir: &Path, file: &str, value: &str) -> io::Result<()> {
        let path = dir.join(file);
        let mut f = OpenOptions::new().write(true).truncate(true).open(&path)?;
        f.write_all(value.as_bytes())?;
        self.record(path, value);
        Ok(())
    }

    /// Writes `value` to `dir/file`; the error says which file, which value and why.
    pub fn write(&self, dir: &Path, file: &str, value: &str) -> Result<()> {
        self.try_write(dir, file, value)
            .map_err(|e| write_err(dir, file, value, &e))
    }

    /// Reads `dir/file`; the raw I/O error on failure.
    pub fn try_read(&self, dir: &Path, file: &str) -> io::Result<String> {
        fs::read_to_string(dir.join(file))
    }

    /// Reads `dir/file`, trimmed; the error names the file.
    pub fn read(&self, dir: &Path, file: &str) -> Result<String> {
        match self.try_read(dir, file) {
            Ok(s) => Ok(s.trim().to_string()),
            Err(e) => Err(cg_err(dir, format!("read {file}: {}", errno_text(&e)))),
        }
    }

    /// Whether `dir/file` exists.
    pub fn exists(&self, dir: &Path, file: &str) -> bool {
        dir.join(file).exists()
    }

    /// Creates one directory level; Ok(false) if it already existed.
    pub fn mkdir(&self, dir: &Path) -> io::Result<bool> {
        match fs::create_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(e),
        }
        if self.is_fake() {
            // The kernel fills a new cgroup with control files; imitate it: the parent's file
            // names, empty, except that the available v2 controllers are inherited.
            if let Some(parent) = dir.parent() {
                for entry in fs::read_dir(parent)?.flatten() {
                    if entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                        let name = entry.file_name();
                        let content = if name == "cgroup.controllers" {
                            fs::read(entry.path())?
                        } else {
                            Vec::new()
                        };
                        fs::write(dir.join(name), content)?;
                    }
                }
            }
        }
        Ok(true)
    }

    /// Removes one cgroup directory; ENOENT is success. In fake mode its control files go
    /// with it, but a directory with sub-directories, or marked busy, gives EBUSY.
    pub fn rmdir(&self, dir: &Path) -> io::Result<()> {
        let r = match &self.fake {
            Some(f) => {
                let busy = f.lock().ok().is_some_and(|mut f| {
                    f.rmdirs.push(dir.to_path_buf());
                    match f.busy.get_mut(dir) {
                        Some(None) => true,
                        Some(Some(0)) | None => false,
                        Some(Some(n)) => {
                            *n -= 1;
                            true
                        }
                    }
                });
                if busy || !self.children(dir).is_empty() {
                    Err(io::Error::from_raw_os_error(Errno::EBUSY as i32))
                } else {
                    fs::remove_dir_all(dir)
                }
            }
            None => fs::remove_dir(dir),
        };
        match r {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            r => r,
        }
    }

    /// Sends SIGKILL to `pid` (recorded, not sent, in fake mode). Never signals pid <= 0 or
    /// the calling process itself.
    pub fn kill(&self, pid: i32) {
        if pid <= 0 || u32::try_from(pid).ok() == Some(std::process::id()) {
            return;
        }
        if self.is_fake() {
            self.record(PathBuf::from("kill"), &pid.to_string());
        } else {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }

    /// The immediate sub-directories (child cgroups) of `dir`, sorted; empty if it is gone.
    pub fn children(&self, dir: &Path) -> Vec<PathBuf> {
        let Ok(rd) = fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut out: Vec<PathBuf> = rd
            .flatten()
            .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
            .map(|e| e.path())
            .collect();
        out.sort();
        out
    }

    /// The sub-directories (child cgroups) of `dir`, all levels, parents before children.
    pub fn subdirs(&self, dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = fs::read_dir(&d) else { continue };
            for entry in rd.flatten() {
                if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                    out.push(entry.path());
                    stack.push(entry.path());
                }
            }
        }
        out
    }

    /// Pids listed in `dir/cgroup.procs`; empty if the cgroup does not exist.
    pub fn procs(&self, dir: &Path) -> Result<Vec<i32>> {
        match self.try_read(dir, "cgroup.procs") {
            Ok(s) => Ok(s
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(cg_err(
                dir,
                format!("read cgroup.procs: {}", errno_text(&e)),
            )),
        }
    }
}

/// An [`Error::Cgroup`] for directory `dir`.
pub fn cg_err(dir: &Path, msg: impl Into<String>) -> Error {
    Error::Cgroup {
        path: dir.to_path_buf(),
        msg: msg.into(),
    }
}

/// The error for a failed write, e.g. `write 12 to memory.limit_in_bytes: Device or resource busy`.
pub fn write_err(dir: &Path, file: &str, value: &str, e: &io::Error) -> Error {
    let shown = value.trim_end();
    let shown = if shown.contains('\n') {
        format!("{shown:?}")
    } else {
        shown.to_string()
    };
    let hint = if e.kind() == io::ErrorKind::NotFound {
        " (this kernel or cgroup has no such file: the feature or its controller is not available here)"
    } else {
        ""
    };
    cg_err(
        dir,
        format!("write {shown} to {file}: {}{hint}", errno_text(e)),
    )
}

/// The errno's description ("Device or resource busy"), or the error's text if it has none.
pub fn errno_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => Errno::from_raw(n).desc().to_string(),
        None => e.to_string(),
    }
}

/// Whether `e` carries errno `errno`.
pub fn is_errno(e: &io::Error, errno: Errno) -> bool {
    e.raw_os_error() == Some(errno as i32)
}

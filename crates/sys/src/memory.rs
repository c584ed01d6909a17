//! Giving back the clean file pages a long-lived process mapped while it started.
//!
//! A process maps its program and libraries from the page cache; the kernel maps file pages
//! in 64 KiB "fault-around" windows, so a few functions spread over a large binary make
//! megabytes resident. A process that then sleeps in `poll` for days (the container monitor)
//! needs few of them. Dropping the mappings of pages that were never written is exactly what
//! the kernel's reclaim does under memory pressure: the next access maps them again from the
//! page cache, so it is always safe.

use std::io;

/// What [`release_clean_file_pages`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Released {
    /// Mappings whose pages were dropped.
    pub mappings: usize,
    /// Their resident size before, in KiB.
    pub kib: u64,
}

/// One mapping of `/proc/self/smaps` that may be released.
#[derive(Debug, PartialEq, Eq)]
struct Candidate {
    start: usize,
    end: usize,
    rss_kib: u64,
}

/// Drops this process's resident pages of every file mapping that is not writable and holds
/// no private (copy-on-write) page: program text, read-only data, libraries. Mappings with
/// private pages (relocated read-only data, written data) and anonymous memory are kept.
///
/// It works only while no other thread of the process runs (it reads the mappings, then
/// drops them: a concurrent `mprotect` or write could change one in between), so it checks
/// that first and refuses otherwise.
pub fn release_clean_file_pages() -> io::Result<Released> {
    let threads = std::fs::read_dir("/proc/self/task")?.count();
    if threads != 1 {
        return Err(io::Error::other(format!(
            "{threads} threads run: clean pages are released only by a single-threaded process"
        )));
    }
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    let mut done = Released::default();
    for c in candidates(&smaps) {
        // SAFETY: the range is a whole mapping of this process, read-only, backed by a file
        // and without private pages (checked in `candidates`), and no other thread runs to
        // change that in between (checked above), so MADV_DONTNEED only unmaps
        // page-cache pages that the next access maps again unchanged; no memory that Rust
        // code owns or borrows is altered.
        let ret = unsafe {
            libc::madvise(
                c.start as *mut libc::c_void,
                c.end - c.start,
                libc::MADV_DONTNEED,
            )
        };
        if ret == 0 {
            done.mappings += 1;
            done.kib += c.rss_kib;
        }
    }
    Ok(done)
}

/// The mappings of an smaps text that are file-backed, not writable, resident and without
/// anonymous (copied) pages.
fn candidates(smaps: &str) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, usize, bool)> = None; // start, end, eligible by header
    let mut rss = 0u64;
    let mut anon = u64::MAX;
    let mut flush = |cur: Option<(usize, usize, bool)>, rss: u64, anon: u64| {
        if let Some((start, end, true)) = cur {
            if anon == 0 && rss > 0 {
                out.push(Candidate {
                    start,
                    end,
                    rss_kib: rss,
                });
            }
        }
    };
    for line in smaps.lines() {
        if let Some(header) = mapping_header(line) {
            flush(cur, rss, anon);
            cur = Some(header);
            rss = 0;
            anon = u64::MAX;
        } else if let Some(v) = field_kib(line, "Rss:") {
            rss = v;
        } else if let Some(v) = field_kib(line, "Anonymous:") {
            anon = v;
        }
    }
    flush(cur, rss, anon);
    out
}

/// Parses a mapping's first line (`start-end perms offset dev inode path`); `None` for the
/// field lines that follow it.
fn mapping_header(line: &str) -> Option<(usize, usize, bool)> {
    let mut f = line.split_whitespace();
    let range = f.next()?;
    let (a, b) = range.split_once('-')?;
    let start = usize::from_str_radix(a, 16).ok()?;
    let end = usize::from_str_radix(b, 16).ok()?;
    let perms = f.next()?;
    let _offset = f.next()?;
    let _dev = f.next()?;
    let inode: u64 = f.next()?.parse().ok()?;
    let path = f.next().unwrap_or("");
    let p = perms.as_bytes();
    let eligible = perms.len() == 4
        && p[1] != b'w'
        && p[3] == b'p'
        && inode != 0
        && path.starts_with('/')
        && !path.starts_with("/dev/")
        && !path.starts_with("/memfd:");
    Some((start, end, eligible))
}

/// The value of a `Name:   123 kB` line, if `line` is that field.
fn field_kib(line: &str, name: &str) -> Option<u64> {
    line.strip_prefix(name)?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55d0a0000000-55d0a0174000 r--p 00000000 fe:00 5350709    /usr/bin/berth
Size:               1492 kB
Rss:                 384 kB
Anonymous:             0 kB
55d0a0174000-55d0a0a77000 r-xp 00174000 fe:00 5350709    /usr/bin/berth
Rss:                 896 kB
Anonymous:             0 kB
55d0a0a77000-55d0a0aa0000 r--p 00a77000 fe:00 5350709    /usr/bin/berth
Rss:                 164 kB
Anonymous:           160 kB
55d0a0aa0000-55d0a0aa5000 rw-p 00a9f000 fe:00 5350709    /usr/bin/berth
Rss:                  20 kB
Anonymous:            20 kB
7f2de096b000-7f2de096d000 rw-p 00000000 00:00 0
Rss:                   8 kB
Anonymous:             8 kB
7f2de0993000-7f2de0ae9000 r-xp 00026000 fe:00 326279     /usr/lib/x86_64-linux-gnu/libc.so.6
Rss:                 692 kB
Anonymous:             0 kB
7f2de0c80000-7f2de0c82000 r-xp 00000000 00:00 0          [vdso]
Rss:                   4 kB
Anonymous:             0 kB
7f2de0c90000-7f2de0c92000 r--s 00000000 00:05 77         /dev/shm/x
Rss:                   8 kB
Anonymous:             0 kB
";

    #[test]
    fn only_clean_read_only_file_mappings_are_candidates() {
        let c = candidates(SMAPS);
        let starts: Vec<usize> = c.iter().map(|c| c.start).collect();
        assert_eq!(starts, vec![0x55d0a0000000, 0x55d0a0174000, 0x7f2de0993000]);
        assert_eq!(c[1].rss_kib, 896);
    }

    #[test]
    fn a_mapping_without_an_anonymous_line_is_kept() {
        let s = "7f00-8f00 r-xp 0 fe:00 1 /lib/x.so\nRss: 4 kB\n";
        assert!(candidates(s).is_empty());
    }

    #[test]
    fn a_process_with_other_threads_is_refused() {
        // The test harness runs this on a thread of its own.
        let e = release_clean_file_pages().unwrap_err();
        assert!(e.to_string().contains("single-threaded"), "{e}");
    }

    #[test]
    fn releasing_keeps_a_single_threaded_process_working() {
        // SAFETY: glibc's fork leaves malloc usable in the child; the child takes no other
        // lock a harness thread could hold (no stdout, no test state) and exits without
        // returning to the harness.
        match unsafe { nix::unistd::fork() }.unwrap() {
            nix::unistd::ForkResult::Child => {
                let before = std::hint::black_box(vec![1u8; 4096]);
                let ok = match release_clean_file_pages() {
                    Ok(r) => r.mappings > 0,
                    Err(_) => false,
                };
                let s: u64 = before.iter().map(|&b| u64::from(b)).sum();
                std::process::exit(if ok && s == 4096 { 0 } else { 1 });
            }
            nix::unistd::ForkResult::Parent { child } => {
                let status = nix::sys::wait::waitpid(child, None).unwrap();
                assert_eq!(status, nix::sys::wait::WaitStatus::Exited(child, 0));
            }
        }
    }
}

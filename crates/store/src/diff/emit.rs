//! Writing the walked entries as a tar stream: GNU headers (long names as GNU extension
//! entries), numeric owners only, PAX records only for xattrs.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use rustix::fs::{Mode, OFlags, ResolveFlags};
use tar::{EntryType, Header};

use super::walk::{shown, Node, NodeKind};
use crate::error::{Error, Result};

/// Writes `nodes` (sorted) as tar entries to `builder`; file content is read from `root`.
pub(crate) fn emit<W: Write>(
    upper: &Path,
    root: &OwnedFd,
    nodes: &[Node],
    clamp: Option<i64>,
    exact: bool,
    builder: &mut tar::Builder<W>,
) -> Result<()> {
    let mut first_links: HashMap<(u64, u64), &[u8]> = HashMap::new();
    for n in nodes {
        let write_err = |source: io::Error| Error::Stream {
            what: format!("writing layer entry {}", shown(upper, &n.rel).display()),
            source,
        };
        let mtime = match clamp {
            Some(t) if exact => t,
            Some(t) => n.mtime.min(t),
            None => n.mtime,
        };
        let mut h = Header::new_gnu();
        h.set_mode(n.mode);
        h.set_uid(n.uid.into());
        h.set_gid(n.gid.into());
        h.set_mtime(u64::try_from(mtime).unwrap_or(0));
        h.set_size(0);
        let name = Path::new(std::ffi::OsStr::from_bytes(&n.name));
        let linkable = matches!(
            n.kind,
            NodeKind::File(_) | NodeKind::Symlink(_) | NodeKind::Fifo
        );
        if linkable && n.nlink > 1 {
            if let Some(first) = first_links.get(&n.id) {
                h.set_entry_type(EntryType::Link);
                let target = Path::new(std::ffi::OsStr::from_bytes(first));
                builder
                    .append_link(&mut h, name, target)
                    .map_err(write_err)?;
                continue;
            }
            first_links.insert(n.id, &n.name);
        }
        match &n.kind {
            NodeKind::File(size) => {
                write_pax(builder, &n.name, &n.xattrs, h.mtime().unwrap_or(0))
                    .map_err(write_err)?;
                let file = open_file(upper, root, n)?;
                h.set_entry_type(EntryType::Regular);
                h.set_size(*size);
                let reader = Exact {
                    inner: file,
                    left: *size,
                };
                builder
                    .append_data(&mut h, name, reader)
                    .map_err(write_err)?;
            }
            NodeKind::Dir => {
                write_pax(builder, &n.name, &n.xattrs, h.mtime().unwrap_or(0))
                    .map_err(write_err)?;
                h.set_entry_type(EntryType::Directory);
                builder
                    .append_data(&mut h, name, io::empty())
                    .map_err(write_err)?;
            }
            NodeKind::Symlink(target) => {
                write_pax(builder, &n.name, &n.xattrs, h.mtime().unwrap_or(0))
                    .map_err(write_err)?;
                h.set_entry_type(EntryType::Symlink);
                let target = Path::new(std::ffi::OsStr::from_bytes(target));
                builder
                    .append_link(&mut h, name, target)
                    .map_err(write_err)?;
            }
            NodeKind::Fifo => {
                write_pax(builder, &n.name, &n.xattrs, h.mtime().unwrap_or(0))
                    .map_err(write_err)?;
                h.set_entry_type(EntryType::Fifo);
                h.set_device_major(0).map_err(write_err)?;
                h.set_device_minor(0).map_err(write_err)?;
                builder
                    .append_data(&mut h, name, io::empty())
                    .map_err(write_err)?;
            }
            NodeKind::Whiteout | NodeKind::Opaque => {
                // Docker's convention: the permission bits, owner and time of the whiteout
                // device (or of the opaque directory).
                h.set_mode(n.mode & 0o777);
                h.set_entry_type(EntryType::Regular);
                builder
                    .append_data(&mut h, name, io::empty())
                    .map_err(write_err)?;
            }
        }
    }
    Ok(())
}

/// Opens a regular file of the upper directory for reading, never through a symlink, and
/// checks it is still the file that was walked.
fn open_file(upper: &Path, root: &OwnedFd, n: &Node) -> Result<File> {
    let path = shown(upper, &n.rel);
    let io = |what: &'static str| {
        let path = path.clone();
        move |e: rustix::io::Errno| Error::Io {
            what,
            path,
            source: e.into(),
        }
    };
    let fd = rustix::fs::openat2(
        root.as_fd(),
        std::ffi::OsStr::from_bytes(&n.rel),
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
    )
    .map_err(io("open"))?;
    let st = rustix::fs::fstat(&fd).map_err(io("stat"))?;
    let same = (st.st_dev, st.st_ino) == n.id
        && u64::try_from(st.st_size).ok()
            == Some(match n.kind {
                NodeKind::File(s) => s,
                _ => u64::MAX,
            });
    if !same {
        return Err(Error::NotLayerable {
            path,
            reason: "it changed while the layer was being written".into(),
        });
    }
    Ok(File::from(fd))
}

/// A reader that yields exactly `left` bytes, failing if its source ends early (a file
/// truncated while it is archived would otherwise corrupt the stream).
struct Exact {
    inner: File,
    left: u64,
}

impl Read for Exact {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let max = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shrank while it was being archived",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Writes a PAX extended header carrying `xattrs` as `SCHILY.xattr.*` records, if any.
fn write_pax<W: Write>(
    builder: &mut tar::Builder<W>,
    name: &[u8],
    xattrs: &[(String, Vec<u8>)],
    mtime: u64,
) -> io::Result<()> {
    if xattrs.is_empty() {
        return Ok(());
    }
    let mut data = Vec::new();
    for (key, value) in xattrs {
        pax_record(&mut data, &format!("SCHILY.xattr.{key}"), value);
    }
    let mut h = Header::new_ustar();
    let base = name.rsplit(|b| *b == b'/').next().unwrap_or(name);
    let mut pax_name = b"PaxHeaders.0/".to_vec();
    pax_name.extend_from_slice(&base[..base.len().min(80)]);
    let Some(ustar) = h.as_ustar_mut() else {
        return Err(io::Error::other("ustar header expected"));
    };
    ustar.name[..pax_name.len()].copy_from_slice(&pax_name);
    h.set_entry_type(EntryType::XHeader);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(mtime);
    h.set_size(data.len() as u64);
    h.set_cksum();
    builder.append(&h, data.as_slice())
}

/// Appends one PAX record, `"<len> <key>=<value>\n"`, whose length counts itself.
fn pax_record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let base = key.len() + value.len() + 3;
    let mut len = base + base.to_string().len();
    if len.to_string().len() != base.to_string().len() {
        len += 1;
    }
    out.extend_from_slice(format!("{len} {key}=").as_bytes());
    out.extend_from_slice(value);
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::pax_record;

    #[test]
    fn pax_lengths_count_themselves() {
        for n in [0usize, 1, 4, 5, 6, 90, 95, 96, 97, 990, 995, 996] {
            let mut out = Vec::new();
            pax_record(&mut out, "k", &vec![b'x'; n]);
            let len: usize =
                std::str::from_utf8(&out[..out.iter().position(|b| *b == b' ').unwrap()])
                    .unwrap()
                    .parse()
                    .unwrap();
            assert_eq!(len, out.len(), "value length {n}");
        }
    }
}

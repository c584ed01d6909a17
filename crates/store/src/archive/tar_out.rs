//! Writing an archive's tar stream: deterministic headers (root-owned, mtime 0), files whose
//! length is checked against the size announced in the header.

use std::io::{self, Read, Write};

use crate::error::{Error, Result};

/// A tar stream being written to `W`.
pub(crate) struct TarOut<W: Write> {
    builder: tar::Builder<W>,
}

impl<W: Write> TarOut<W> {
    /// Starts a tar stream on `out`.
    pub(crate) fn new(out: W) -> Self {
        TarOut {
            builder: tar::Builder::new(out),
        }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(0);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    /// Adds a directory entry.
    pub(crate) fn dir(&mut self, path: &str) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Directory, 0o755, 0);
        self.builder
            .append_data(&mut h, path, io::empty())
            .map_err(write_err(path))
    }

    /// Adds a file with `bytes` as content.
    pub(crate) fn bytes(&mut self, path: &str, bytes: &[u8]) -> Result<()> {
        self.file(path, bytes.len() as u64, bytes)
    }

    /// Adds a file of `size` bytes read from `data`, which must yield exactly that many.
    pub(crate) fn file(&mut self, path: &str, size: u64, data: impl Read) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Regular, 0o644, size);
        let mut counted = Counted {
            inner: data.take(size),
            n: 0,
        };
        self.builder
            .append_data(&mut h, path, &mut counted)
            .map_err(write_err(path))?;
        if counted.n != size {
            return Err(Error::Stream {
                what: format!(
                    "writing {path:?} to the archive: {} of {size} bytes",
                    counted.n
                ),
                source: io::ErrorKind::UnexpectedEof.into(),
            });
        }
        Ok(())
    }

    /// Adds a symlink.
    pub(crate) fn symlink(&mut self, path: &str, target: &str) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0);
        self.builder
            .append_link(&mut h, path, target)
            .map_err(write_err(path))
    }

    /// Writes the end-of-archive marker and flushes.
    pub(crate) fn finish(self) -> Result<()> {
        let mut out = self
            .builder
            .into_inner()
            .map_err(write_err("end of archive"))?;
        out.flush().map_err(write_err("end of archive"))
    }
}

fn write_err(path: &str) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Stream {
        what: format!("writing {path:?} to the archive"),
        source,
    }
}

/// A reader that counts what it yields.
struct Counted<R> {
    inner: R,
    n: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

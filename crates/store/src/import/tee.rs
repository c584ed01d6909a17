//! Streaming one reader into the blob store while it is parsed: every byte read through
//! [`Tee`] also goes, over a bounded channel, to a [`ChannelReader`] that a writer thread
//! hands to `BlobStore::put_reader`. An abort makes that reader fail, so the blob store
//! removes its temporary file.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender};

/// What travels from the parser to the blob writer.
pub(crate) type Chunk = io::Result<Vec<u8>>;

/// A reader that copies what it reads into a channel.
pub(crate) struct Tee<R> {
    inner: R,
    tx: Option<SyncSender<Chunk>>,
    /// Set when the writer side went away (it failed; its error is the one to report).
    pub(crate) writer_gone: bool,
}

impl<R: Read> Tee<R> {
    /// Wraps `inner`, sending to `tx`.
    pub(crate) fn new(inner: R, tx: SyncSender<Chunk>) -> Tee<R> {
        Tee {
            inner,
            tx: Some(tx),
            writer_gone: false,
        }
    }

    /// Makes the writer fail with `why` (so it discards what it wrote).
    pub(crate) fn abort(&mut self, why: &str) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Err(io::Error::other(why.to_string())));
        }
    }

    /// Ends the stream normally: the writer sees end of file.
    pub(crate) fn close(&mut self) {
        self.tx = None;
    }
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(tx) = &self.tx {
                if tx.send(Ok(buf[..n].to_vec())).is_err() {
                    self.writer_gone = true;
                    return Err(io::Error::other("the blob writer stopped"));
                }
            }
        }
        Ok(n)
    }
}

/// The receiving end, as a reader: end of file when the sender is dropped.
pub(crate) struct ChannelReader {
    rx: Receiver<Chunk>,
    buf: Vec<u8>,
    pos: usize,
}

impl ChannelReader {
    /// Reads from `rx`.
    pub(crate) fn new(rx: Receiver<Chunk>) -> ChannelReader {
        ChannelReader {
            rx,
            buf: Vec::new(),
            pos: 0,
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.buf.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.buf = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

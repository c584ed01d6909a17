//! The uncompressed tar stream of a layer, made on other threads: one thread decompresses,
//! another hashes (the diff ID), while the caller's thread unpacks. Decompression, hashing
//! and file creation are each a large share of a pull; on separate cores they overlap.

use std::io::{self, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::{Scope, ScopedJoinHandle};

use sha2::{Digest as _, Sha256};

use crate::compression::decompressed;
use crate::digest::{hex, Digest};
use crate::error::Error;

/// Bytes per chunk handed between threads.
const CHUNK: usize = 256 * 1024;
/// Chunks in flight per channel (bounds memory to a few MiB).
const DEPTH: usize = 16;

type Chunk = Arc<Vec<u8>>;

/// The reading end: the uncompressed stream, chunk by chunk.
pub(super) struct Stream {
    rx: Receiver<io::Result<Chunk>>,
    current: Option<Chunk>,
    pos: usize,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(c) = &self.current {
                if self.pos < c.len() {
                    let n = buf.len().min(c.len() - self.pos);
                    buf[..n].copy_from_slice(&c[self.pos..self.pos + n]);
                    self.pos += n;
                    return Ok(n);
                }
            }
            match self.rx.recv() {
                Ok(Ok(c)) => {
                    self.current = Some(c);
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
    }
}

/// Starts decompressing `reader` on a thread of `scope` and hashing the result on another;
/// returns the stream to read and the hasher's handle (its result is complete once the
/// stream has been read to its end). A compression berth cannot read is an error of the
/// stream's first read.
pub(super) fn start<'scope, 'env, R: Read + Send + 'scope>(
    scope: &'scope Scope<'scope, 'env>,
    reader: R,
) -> (Stream, ScopedJoinHandle<'scope, (Digest, u64)>) {
    let (tx, rx) = sync_channel::<io::Result<Chunk>>(DEPTH);
    let (hash_tx, hash_rx) = sync_channel::<Chunk>(DEPTH);
    scope.spawn(move || match decompressed(reader) {
        Ok(mut plain) => produce(&mut *plain, tx, hash_tx),
        Err(e) => {
            let _ = tx.send(Err(io::Error::other(e.to_string())));
        }
    });
    let hasher = scope.spawn(move || {
        let mut h = Sha256::new();
        let mut n = 0u64;
        for c in hash_rx {
            h.update(&c[..]);
            n += c.len() as u64;
        }
        let d = Digest::from_hex(&hex(&h.finalize())).unwrap_or_else(|_| Digest::of_bytes(b""));
        (d, n)
    });
    (
        Stream {
            rx,
            current: None,
            pos: 0,
        },
        hasher,
    )
}

/// Reads the uncompressed stream into chunks for the unpacker and the hasher; stops when
/// either goes away. The whole stream is read, to its end, so the hash covers it all.
fn produce(plain: &mut dyn Read, tx: SyncSender<io::Result<Chunk>>, hash_tx: SyncSender<Chunk>) {
    loop {
        let mut buf = vec![0u8; CHUNK];
        let mut got = 0;
        while got < CHUNK {
            match plain.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
        if got == 0 {
            return;
        }
        buf.truncate(got);
        let chunk = Arc::new(buf);
        if hash_tx.send(chunk.clone()).is_err() || tx.send(Ok(chunk)).is_err() {
            return;
        }
    }
}

/// The error for a hasher thread that panicked.
pub(super) fn hasher_failed() -> Error {
    Error::Stream {
        what: "hashing the layer".into(),
        source: io::Error::other("the hashing thread failed"),
    }
}

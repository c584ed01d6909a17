//! Parallel gzip of a layer blob for a push: the tar is cut into blocks that threads compress
//! as separate gzip members, written in order one after the other. A concatenation of gzip
//! members is one valid gzip stream (RFC 1952 section 2.2), which Go's, zlib's and Python's
//! readers all decompress whole; so a push uses every core instead of one.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;

use flate2::write::GzEncoder;

use crate::blobs::BlobStore;
use crate::digest::Digest;
use crate::error::{io_err, Result};

/// Bytes of input per gzip member.
pub const BLOCK: usize = 4 << 20;
/// The compression level: fast, since a push is usually bound by compression, not network.
pub const LEVEL: u32 = 3;

/// Compresses the blob `digest` into a new gzip blob using `threads` threads; returns the
/// compressed blob's digest and size.
pub fn gzip_blob(blobs: &BlobStore, digest: &Digest, threads: usize) -> Result<(Digest, u64)> {
    let input = blobs.open_blob(digest)?;
    let path = blobs.path(digest);
    blobs.put_writer(|out| compress(input, out, threads.max(1)).map_err(io_err("compress", &path)))
}

/// Compresses `input` to `out` as gzip members of [`BLOCK`] bytes, on `threads` threads.
pub fn compress(
    mut input: impl Read + Send,
    out: &mut dyn Write,
    threads: usize,
) -> io::Result<()> {
    let (work_tx, work_rx) = mpsc::sync_channel::<(u64, Vec<u8>)>(threads * 2);
    let (done_tx, done_rx) = mpsc::sync_channel::<(u64, io::Result<Vec<u8>>)>(threads * 2);
    // Shared by the workers only: when they all stop, the reader's sends fail and it stops.
    let work_rx = Arc::new(Mutex::new(work_rx));
    thread::scope(|s| {
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let work_rx = Arc::clone(&work_rx);
            s.spawn(move || worker(&work_rx, done_tx));
        }
        drop(done_tx);
        drop(work_rx);
        let reader = s.spawn(move || read_blocks(&mut input, work_tx));
        let written = write_in_order(done_rx, out);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("reader panicked")));
        read.and(written)
    })
}

fn read_blocks(input: &mut dyn Read, tx: SyncSender<(u64, Vec<u8>)>) -> io::Result<()> {
    let mut seq = 0;
    loop {
        let mut block = vec![0u8; BLOCK];
        let mut got = 0;
        while got < BLOCK {
            match input.read(&mut block[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if got == 0 && seq > 0 {
            return Ok(());
        }
        block.truncate(got);
        let last = got < BLOCK;
        if tx.send((seq, block)).is_err() {
            return Ok(());
        }
        seq += 1;
        if last {
            return Ok(());
        }
    }
}

fn worker(rx: &Mutex<Receiver<(u64, Vec<u8>)>>, tx: SyncSender<(u64, io::Result<Vec<u8>>)>) {
    loop {
        let next = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        let Ok((seq, block)) = next else { return };
        let mut enc = GzEncoder::new(
            Vec::with_capacity(block.len() / 2),
            flate2::Compression::new(LEVEL),
        );
        let r = enc.write_all(&block).and_then(|()| enc.finish());
        if tx.send((seq, r)).is_err() {
            return;
        }
    }
}

fn write_in_order(rx: Receiver<(u64, io::Result<Vec<u8>>)>, out: &mut dyn Write) -> io::Result<()> {
    let mut next = 0u64;
    let mut pending: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for (seq, r) in rx {
        pending.insert(seq, r?);
        while let Some(b) = pending.remove(&next) {
            out.write_all(&b)?;
            next += 1;
        }
    }
    if !pending.is_empty() {
        return Err(io::Error::other("a compression block went missing"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::MultiGzDecoder;

    #[test]
    fn members_decompress_as_one_stream() {
        let data: Vec<u8> = (0..(BLOCK * 2 + 12345)).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        compress(&data[..], &mut out, 3).unwrap();
        let mut back = Vec::new();
        MultiGzDecoder::new(&out[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, data);
        let mut empty = Vec::new();
        compress(&b""[..], &mut empty, 2).unwrap();
        let mut back = Vec::new();
        MultiGzDecoder::new(&empty[..])
            .read_to_end(&mut back)
            .unwrap();
        assert!(back.is_empty());
    }
}

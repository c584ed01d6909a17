//! Connecting a producer that writes to a consumer that reads, through a bounded channel
//! and a thread, so a layer streams into the blob store without a temporary copy.
//!
//! A producer failure reaches the reader as an error, never as a clean end of stream, so a
//! truncated layer is never committed.

use std::io::{self, Read, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use crate::error::Result;

/// Chunk size of the channel.
const CHUNK: usize = 256 * 1024;

/// A message: a chunk of data, or the producer's failure.
type Msg = std::result::Result<Vec<u8>, ()>;

/// Runs `produce` on a thread, writing, while `consume` reads what it writes. The
/// producer's error wins over the consumer's (it is the cause).
pub(crate) fn through_reader<P, C>(
    produce: impl FnOnce(&mut ChanWriter) -> Result<P> + Send,
    consume: impl FnOnce(&mut ChanReader) -> Result<C>,
) -> Result<(P, C)>
where
    P: Send,
{
    let (tx, rx) = sync_channel::<Msg>(4);
    std::thread::scope(|s| {
        let producer = s.spawn(move || {
            let mut w = ChanWriter {
                tx,
                buf: Vec::with_capacity(CHUNK),
            };
            let r = produce(&mut w).and_then(|p| {
                w.flush_chunk()
                    .map_err(|source| crate::error::Error::Stream {
                        what: "streaming the layer".into(),
                        source,
                    })?;
                Ok(p)
            });
            if r.is_err() {
                let _ = w.tx.send(Err(()));
            }
            r
        });
        let mut reader = ChanReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
        };
        let consumed = consume(&mut reader);
        // Unblock a producer still writing if the consumer stopped early.
        drop(reader);
        let produced = match producer.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        Ok((produced?, consumed?))
    })
}

/// The writing end.
pub(crate) struct ChanWriter {
    tx: SyncSender<Msg>,
    buf: Vec<u8>,
}

impl ChanWriter {
    fn flush_chunk(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the layer's reader stopped"))
    }
}

impl Write for ChanWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = data.len().min(CHUNK - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.flush_chunk()?;
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The reading end.
pub(crate) struct ChanReader {
    rx: Receiver<Msg>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for ChanReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.pos = 0;
                }
                Ok(Err(())) => return Err(io::Error::other("writing the layer failed")),
                // The producer is gone without an error: the end of the stream.
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

//! Tests of the DNS module: wire format, records, resolv.conf, and a live server.

mod lifeline;
mod live;
mod live_tcp;
mod records;
mod resolv;
mod wire;

/// A small deterministic pseudo-random generator for fuzz-style tests.
pub(super) struct XorShift(pub u64);

impl XorShift {
    pub(super) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub(super) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

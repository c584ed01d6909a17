//! The input generator: a seed, then a few random mutations.
//!
//! Random bytes alone are rejected by structured formats (Dockerfiles, YAML, JSON, tar) at the
//! first byte; mutating real documents reaches the code behind the first check.

use crate::Rng;

/// Bytes every format treats specially somewhere: quotes, escapes, separators, NUL, 0xff.
const INTERESTING: &[u8] = b"\0\n\r\t \\\"'$`{}[]()<>:;=,.-/*?!#%&|~@\xff\x7f";

/// Generates inputs: a seed, then 1-8 mutations, then truncation to the size bound. One
/// input in sixteen is random bytes instead, so seedless code paths are reached too.
pub struct Mutations {
    seeds: Vec<Vec<u8>>,
    dictionary: Vec<Vec<u8>>,
    max_len: usize,
}

impl Mutations {
    /// A generator over `seeds` (those over `max_len` dropped; an empty seed added, so there
    /// is always one) whose inputs are at most `max_len` bytes.
    pub fn new(mut seeds: Vec<Vec<u8>>, max_len: usize) -> Self {
        seeds.retain(|s| s.len() <= max_len);
        seeds.push(Vec::new());
        Mutations {
            seeds,
            dictionary: Vec::new(),
            max_len,
        }
    }

    /// Adds tokens of the format (keywords, operators) that mutations may insert.
    pub fn with_dictionary<T: AsRef<[u8]>>(mut self, tokens: &[T]) -> Self {
        self.dictionary
            .extend(tokens.iter().map(|t| t.as_ref().to_vec()));
        self
    }

    /// The seeds (each target runs them as they are before any mutation).
    pub fn seeds(&self) -> &[Vec<u8>] {
        &self.seeds
    }

    /// One new input.
    pub fn generate(&self, rng: &mut Rng) -> Vec<u8> {
        if rng.below(16) == 0 {
            let n = rng.below(self.max_len.min(4096) + 1);
            return (0..n).map(|_| rng.byte()).collect();
        }
        let mut data = self.seeds[rng.below(self.seeds.len())].clone();
        for _ in 0..=rng.below(8) {
            self.mutate(rng, &mut data);
        }
        data.truncate(self.max_len);
        data
    }

    fn mutate(&self, rng: &mut Rng, data: &mut Vec<u8>) {
        let len = data.len();
        match rng.below(11) {
            0 if len > 0 => {
                let at = rng.below(len);
                data[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                data[at] = rng.byte();
            }
            2 if len > 0 => {
                let at = rng.below(len);
                let n = 1 + rng.below(16.min(len - at));
                data.drain(at..at + n);
            }
            3 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
                data.splice(at..at, bytes);
            }
            4 if !self.dictionary.is_empty() => {
                let at = rng.below(len + 1);
                let token = self.dictionary[rng.below(self.dictionary.len())].clone();
                data.splice(at..at, token);
            }
            5 if len > 0 => {
                let from = rng.below(len);
                let n = 1 + rng.below(64.min(len - from));
                let at = rng.below(len + 1);
                let chunk = data[from..from + n].to_vec();
                data.splice(at..at, chunk);
            }
            6 => {
                let other = &self.seeds[rng.below(self.seeds.len())];
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let n = 1 + rng.below(256.min(other.len() - from));
                    let at = rng.below(len + 1);
                    data.splice(at..at, other[from..from + n].iter().copied());
                }
            }
            7 if len > 0 => data.truncate(rng.below(len)),
            8 if len > 1 => {
                let (a, b) = (rng.below(len), rng.below(len));
                data.swap(a, b);
            }
            9 if len > 0 => {
                // An ASCII digit run: sizes, counts and indexes become huge or odd.
                let at = rng.below(len);
                let digits = [
                    "0",
                    "-1",
                    "4294967295",
                    "18446744073709551616",
                    "99999999999",
                    "77777777777", // the largest 11-digit octal: tar sizes of 8 GiB
                ];
                let d = digits[rng.below(digits.len())].as_bytes();
                let end = (at + d.len()).min(len);
                data.splice(at..end, d.iter().copied());
            }
            _ => {
                let at = rng.below(len + 1);
                data.insert(at, INTERESTING[rng.below(INTERESTING.len())]);
            }
        }
    }
}

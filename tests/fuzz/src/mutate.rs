//! The input generator: seeds mutated by a short program the fuzzing driver chooses.
//!
//! bolero's own byte generator gives random bytes, which structured formats (Dockerfiles,
//! YAML, JSON, tar) reject at the first byte. Mutating real documents reaches the code behind
//! the first check; under libFuzzer the driver's bytes are coverage-guided, so the mutation
//! program itself evolves.

use crate::Input;
use bolero::{Driver, ValueGenerator};
use std::ops::Bound::{Excluded, Included};

/// Bytes every format treats specially somewhere: quotes, escapes, separators, NUL, 0xff.
const INTERESTING: &[u8] = b"\0\n\r\t \\\"'$`{}[]()<>:;=,.-/*?!#%&|~@\xff\x7f";

/// Generates [`Input`]s: a seed, then 1-8 mutations, then truncation to the size bound. One
/// input in sixteen is random bytes instead, so seedless code paths are reached too.
pub struct Mutations {
    seeds: Vec<Vec<u8>>,
    dictionary: Vec<Vec<u8>>,
    max_len: usize,
}

impl Mutations {
    /// A generator over `seeds` (an empty seed is added, so there is always one) whose
    /// inputs are at most `max_len` bytes.
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
    pub fn with_dictionary(mut self, tokens: &[&str]) -> Self {
        self.dictionary
            .extend(tokens.iter().map(|t| t.as_bytes().to_vec()));
        self
    }

    /// The seeds, as given (each target runs them before any mutation).
    pub fn seeds(&self) -> &[Vec<u8>] {
        &self.seeds
    }

    fn mutate<D: Driver>(&self, driver: &mut D, data: &mut Vec<u8>) -> Option<()> {
        let len = data.len();
        match pick(driver, 10)? {
            0 if len > 0 => {
                let at = pick(driver, len)?;
                data[at] ^= 1 << pick(driver, 8)?;
            }
            1 if len > 0 => {
                let at = pick(driver, len)?;
                data[at] = driver.produce::<u8>()?;
            }
            2 if len > 0 => {
                let at = pick(driver, len)?;
                let n = 1 + pick(driver, 16.min(len - at))?;
                data.drain(at..at + n);
            }
            3 => {
                let at = pick(driver, len + 1)?;
                let n = 1 + pick(driver, 8)?;
                let mut bytes = Vec::with_capacity(n);
                for _ in 0..n {
                    bytes.push(driver.produce::<u8>()?);
                }
                data.splice(at..at, bytes);
            }
            4 => {
                let at = pick(driver, len + 1)?;
                let token = if self.dictionary.is_empty() || driver.produce::<bool>()? {
                    vec![INTERESTING[pick(driver, INTERESTING.len())?]]
                } else {
                    self.dictionary[pick(driver, self.dictionary.len())?].clone()
                };
                data.splice(at..at, token);
            }
            5 if len > 0 => {
                let from = pick(driver, len)?;
                let n = 1 + pick(driver, 64.min(len - from))?;
                let at = pick(driver, len + 1)?;
                let chunk = data[from..from + n].to_vec();
                data.splice(at..at, chunk);
            }
            6 => {
                let other = &self.seeds[pick(driver, self.seeds.len())?];
                if !other.is_empty() {
                    let from = pick(driver, other.len())?;
                    let n = 1 + pick(driver, 256.min(other.len() - from))?;
                    let at = pick(driver, len + 1)?;
                    data.splice(at..at, other[from..from + n].iter().copied());
                }
            }
            7 if len > 0 => data.truncate(pick(driver, len)?),
            8 if len > 1 => {
                let a = pick(driver, len)?;
                let b = pick(driver, len)?;
                data.swap(a, b);
            }
            _ => {
                let at = pick(driver, len + 1)?;
                data.insert(at, INTERESTING[pick(driver, INTERESTING.len())?]);
            }
        }
        Some(())
    }
}

impl ValueGenerator for Mutations {
    type Output = Input;

    fn generate<D: Driver>(&self, driver: &mut D) -> Option<Input> {
        if pick(driver, 16)? == 0 {
            let mut bytes = driver.produce::<Vec<u8>>()?;
            bytes.truncate(self.max_len);
            return Some(Input(bytes));
        }
        let mut data = self.seeds[pick(driver, self.seeds.len())?].clone();
        for _ in 0..=pick(driver, 8)? {
            self.mutate(driver, &mut data)?;
        }
        data.truncate(self.max_len);
        Some(Input(data))
    }
}

/// A number in `0..n` (`n` > 0) from the driver.
fn pick<D: Driver>(driver: &mut D, n: usize) -> Option<usize> {
    driver.gen_usize(Included(&0), Excluded(&n.max(1)))
}

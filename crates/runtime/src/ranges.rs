//! Lists of CPU or NUMA node numbers in the kernel's "0-3,7" format, as used by
//! `process.execCPUAffinity` and `linux.memoryPolicy.nodes`.

use crate::error::{Error, Result};

/// The largest number accepted: far above any real CPU or node count, low enough that a
/// typo cannot make us allocate a huge mask.
pub const MAX_ID: usize = 8191;

/// Parses `list` ("0-3,7"; ranges inclusive) into sorted, distinct numbers. `what` names
/// the field in the error, e.g. "process.execCPUAffinity.final".
pub fn parse(list: &str, what: &str) -> Result<Vec<usize>> {
    let bad = |why: String| Error::Spec(format!("{what} {list:?}: {why}"));
    let number = |s: &str| -> Result<usize> {
        let n: usize = s
            .trim()
            .parse()
            .map_err(|_| bad(format!("{s:?} is not a number")))?;
        if n > MAX_ID {
            return Err(bad(format!("{n} is larger than {MAX_ID}")));
        }
        Ok(n)
    };
    if list.trim().is_empty() {
        return Err(bad("empty list".into()));
    }
    let mut out = Vec::new();
    for part in list.split(',') {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let n = number(part)?;
                (n, n)
            }
        };
        if lo > hi {
            return Err(bad(format!("range {part:?} is backwards")));
        }
        out.extend(lo..=hi);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Parses `list` into a bitmap of 64-bit words (bit `n % 64` of word `n / 64` is `n`).
pub fn bitmap(list: &str, what: &str) -> Result<Vec<u64>> {
    let ids = parse(list, what)?;
    let words = ids.last().map_or(0, |m| m / 64 + 1);
    let mut mask = vec![0u64; words];
    for id in ids {
        mask[id / 64] |= 1 << (id % 64);
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists() {
        assert_eq!(parse("0-1,3", "x").unwrap(), [0, 1, 3]);
        assert_eq!(parse("5,2-3,3", "x").unwrap(), [2, 3, 5]);
        assert_eq!(bitmap("0,65", "x").unwrap(), [1, 2]);
        for bad in ["", "abc", "1-", "3-1", "1,,2", "99999"] {
            let e = parse(bad, "field").unwrap_err().to_string();
            assert!(e.contains("field"), "{bad:?}: {e}");
        }
    }
}

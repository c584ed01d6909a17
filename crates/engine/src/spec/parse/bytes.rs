//! Sizes (`512m`, `1.5g`: Docker's `RAMInBytes`, binary units) and CPU counts (`--cpus`).

use crate::spec::{Error, Result};

/// Parses a size the way Docker's `units.RAMInBytes` does: a decimal number, optional space,
/// an optional unit `k m g t p` (any case, powers of 1024) optionally followed by `i` and/or
/// `b`. `"1.5g"` is 1610612736; `"1024"` is 1024 bytes.
pub fn parse_bytes(flag: &str, value: &str) -> Result<i64> {
    ram_in_bytes(value).ok_or_else(|| Error::flag(flag, value, format!("invalid size: '{value}'")))
}

/// `--memory-swap`: a size, or `-1` for unlimited.
pub fn parse_memory_swap(value: &str) -> Result<i64> {
    if value == "-1" {
        return Ok(-1);
    }
    parse_bytes("--memory-swap", value)
}

fn ram_in_bytes(s: &str) -> Option<i64> {
    berth_units::size::ram_in_bytes(s)
}

/// `--cpus`: a non-negative decimal with at most 9 fractional digits (Docker stores it as
/// NanoCPUs). Returns the number of CPUs.
pub fn parse_cpus(value: &str) -> Result<f64> {
    let bad = || {
        Error::flag(
            "--cpus",
            value,
            format!("failed to parse {value} as a rational number"),
        )
    };
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    if frac.len() > 9 {
        return Err(Error::flag("--cpus", value, "value is too precise"));
    }
    let cpus: f64 = value.parse().map_err(|_| bad())?;
    if !cpus.is_finite() || cpus * 1e9 >= i64::MAX as f64 {
        return Err(bad());
    }
    Ok(cpus)
}

/// NanoCPUs of a `--cpus` value (`1.5` -> 1500000000).
pub fn nano_cpus(cpus: f64) -> i64 {
    (cpus * 1e9).round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        let ok = |s: &str| parse_bytes("-m, --memory", s).unwrap();
        assert_eq!(ok("1024"), 1024);
        assert_eq!(ok("100k"), 102400);
        assert_eq!(ok("512m"), 512 << 20);
        assert_eq!(ok("512M"), 512 << 20);
        assert_eq!(ok("1g"), 1 << 30);
        assert_eq!(ok("1.5g"), 1610612736);
        assert_eq!(ok("2gb"), 2 << 30);
        assert_eq!(ok("2GiB"), 2 << 30);
        assert_eq!(ok("3 MB"), 3 << 20);
        assert_eq!(ok("1t"), 1 << 40);
        assert_eq!(ok("10b"), 10);
        assert_eq!(ok("0"), 0);
    }

    #[test]
    fn bad_sizes() {
        for s in [
            "",
            "12x",
            "-1",
            "m",
            "1..5g",
            "1.g",
            ".5g",
            "1gg",
            "1 g b x",
            "99999999999p",
        ] {
            assert!(parse_bytes("-m, --memory", s).is_err(), "{s}");
        }
        assert_eq!(
            parse_bytes("-m, --memory", "12x").unwrap_err().to_string(),
            "invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'"
        );
        assert_eq!(parse_memory_swap("-1").unwrap(), -1);
        assert_eq!(parse_memory_swap("1g").unwrap(), 1 << 30);
    }

    #[test]
    fn cpus() {
        assert_eq!(parse_cpus("1.5").unwrap(), 1.5);
        assert_eq!(nano_cpus(parse_cpus("1.5").unwrap()), 1_500_000_000);
        assert_eq!(nano_cpus(parse_cpus("0.01").unwrap()), 10_000_000);
        assert_eq!(parse_cpus("2").unwrap(), 2.0);
        assert_eq!(parse_cpus(".5").unwrap(), 0.5);
        for s in ["", ".", "x", "-1", "1.5x", "1e3"] {
            assert!(parse_cpus(s).is_err(), "{s}");
        }
        assert_eq!(
            parse_cpus("abc").unwrap_err().to_string(),
            "invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc as a rational number"
        );
        assert!(parse_cpus("0.0000000001").is_err());
    }
}

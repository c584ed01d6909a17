//! Go durations (`1m30s`) and byte sizes (`512m`, `1.5G`), parsed as compose-go parses them
//! (Go's `time.ParseDuration`, go-units' `RAMInBytes`) and printed as `docker compose config`
//! prints them.

use std::fmt;

use serde::{Serialize, Serializer};

use super::node::Node;
use crate::Result;

/// A duration in nanoseconds, printed as Go prints a `time.Duration` (`1m30s`, `500ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Duration(pub i64);

impl Duration {
    /// The duration as a [`std::time::Duration`] (negative durations are zero).
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_nanos(u64::try_from(self.0).unwrap_or(0))
    }

    /// Parses a Go duration: `300ms`, `-1.5h`, `2h45m`, `0`. Units: ns, us (µs, μs), ms, s, m, h.
    pub fn parse(s: &str) -> Result<Self, String> {
        parse_go_duration(s).map(Duration)
    }

    /// Reads a duration from the document (a Go duration string; a bare number is an error
    /// unless it is 0, as with Go).
    pub(crate) fn from_node(n: Node<'_, '_>) -> Result<Self> {
        let s = n.scalar()?;
        Duration::parse(&s).map_err(|e| n.err(e))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_go_duration(self.0))
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {orig:?}");
    let mut s = orig;
    let mut neg = false;
    if let Some(rest) = s.strip_prefix('-') {
        neg = true;
        s = rest;
    } else if let Some(rest) = s.strip_prefix('+') {
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: i128 = 0;
    while !s.is_empty() {
        let int_len = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (int_part, rest) = s.split_at(int_len);
        let (frac_part, rest) = match rest.strip_prefix('.') {
            Some(r) => {
                let l = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
                r.split_at(l)
            }
            None => ("", rest),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(invalid());
        }
        let unit_len = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (unit, rest) = rest.split_at(unit_len);
        if unit.is_empty() {
            return Err(format!("time: missing unit in duration {orig:?}"));
        }
        let scale: i128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(format!("time: unknown unit {unit:?} in duration {orig:?}")),
        };
        let int: i128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| invalid())?
        };
        let mut value = int.checked_mul(scale).ok_or_else(invalid)?;
        if !frac_part.is_empty() {
            let digits = &frac_part[..frac_part.len().min(18)];
            let f: i128 = digits.parse().map_err(|_| invalid())?;
            value += f * scale / 10i128.pow(digits.len() as u32);
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > i128::from(i64::MAX) {
            return Err(invalid());
        }
        s = rest;
    }
    let total = i64::try_from(total).map_err(|_| invalid())?;
    Ok(if neg { -total } else { total })
}

/// Go's `time.Duration.String`.
fn format_go_duration(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let mut out = String::new();
    if u < 1_000_000_000 {
        let (unit, name) = match u {
            0..=999 => (1, "ns"),
            1_000..=999_999 => (1_000, "µs"),
            _ => (1_000_000, "ms"),
        };
        out.push_str(&frac(u, unit));
        out.push_str(name);
    } else {
        let secs = u % 60_000_000_000;
        let mins_total = u / 60_000_000_000;
        let hours = mins_total / 60;
        let mins = mins_total % 60;
        if hours > 0 {
            out.push_str(&format!("{hours}h"));
        }
        if mins_total > 0 {
            out.push_str(&format!("{mins}m"));
        }
        out.push_str(&frac(secs, 1_000_000_000));
        out.push('s');
    }
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

/// `v / unit` with the fraction's trailing zeros dropped.
fn frac(v: u64, unit: u64) -> String {
    let int = v / unit;
    let rem = v % unit;
    if rem == 0 {
        return int.to_string();
    }
    let width = unit.ilog10() as usize;
    let f = format!("{rem:0width$}");
    format!("{int}.{}", f.trim_end_matches('0'))
}

/// Parses a byte size as go-units' `RAMInBytes` (binary multiples, case-insensitive,
/// fractions allowed: `1.5G`, `512m`, `1024`, `100 MiB`).
pub fn parse_bytes(s: &str) -> Result<i64, String> {
    let invalid = || format!("invalid size: '{s}'");
    let t = s.trim();
    let num_len = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(num_len);
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
        return Err(invalid());
    }
    let n: f64 = num.parse().map_err(|_| invalid())?;
    let unit = unit.trim_start_matches(' ').to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let mul: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024f64.powi(2),
        "g" => 1024f64.powi(3),
        "t" => 1024f64.powi(4),
        "p" => 1024f64.powi(5),
        _ => return Err(invalid()),
    };
    let bytes = n * mul;
    if !bytes.is_finite() || bytes >= i64::MAX as f64 {
        return Err(invalid());
    }
    Ok(bytes as i64)
}

/// Reads a byte size from the document: an integer (bytes) or a string with a unit.
pub(crate) fn bytes_from_node(n: Node<'_, '_>) -> Result<i64> {
    if let Some(i) = n.v.as_i64() {
        return Ok(i);
    }
    let s = n.scalar()?;
    parse_bytes(&s).map_err(|e| n.err(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_round_trip() {
        for (s, ns, shown) in [
            ("1m30s", 90_000_000_000, "1m30s"),
            ("10s", 10_000_000_000, "10s"),
            ("0", 0, "0s"),
            ("0s", 0, "0s"),
            ("1h", 3_600_000_000_000, "1h0m0s"),
            ("500ms", 500_000_000, "500ms"),
            ("1.5s", 1_500_000_000, "1.5s"),
            ("2h45m", 9_900_000_000_000, "2h45m0s"),
            ("100us", 100_000, "100µs"),
            ("1.5ms", 1_500_000, "1.5ms"),
            ("-1m", -60_000_000_000, "-1m0s"),
            ("1m0.25s", 60_250_000_000, "1m0.25s"),
            (".5s", 500_000_000, "500ms"),
        ] {
            let d = Duration::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(d.0, ns, "{s}");
            assert_eq!(d.to_string(), shown, "{s}");
        }
    }

    #[test]
    fn bad_durations() {
        assert_eq!(
            Duration::parse("10").unwrap_err(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            Duration::parse("5x").unwrap_err(),
            "time: unknown unit \"x\" in duration \"5x\""
        );
        assert_eq!(
            Duration::parse("abc").unwrap_err(),
            "time: invalid duration \"abc\""
        );
        assert!(Duration::parse("").is_err());
        assert!(Duration::parse("s").is_err());
    }

    #[test]
    fn byte_sizes() {
        for (s, n) in [
            ("512m", 512 << 20),
            ("1g", 1 << 30),
            ("1.5G", 1_610_612_736),
            ("1024", 1024),
            ("64k", 65536),
            ("100MiB", 100 << 20),
            ("2gb", 2 << 30),
            ("10 MB", 10 << 20),
        ] {
            assert_eq!(parse_bytes(s), Ok(n), "{s}");
        }
        assert_eq!(parse_bytes("12x").unwrap_err(), "invalid size: '12x'");
        assert!(parse_bytes("").is_err());
        assert!(parse_bytes("m").is_err());
    }
}

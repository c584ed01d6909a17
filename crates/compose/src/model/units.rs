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
    berth_units::duration::parse(orig)
}

/// Go's `time.Duration.String`.
fn format_go_duration(d: i64) -> String {
    berth_units::duration::format(d)
}

/// Parses a byte size as go-units' `RAMInBytes` (binary multiples, case-insensitive,
/// fractions allowed: `1.5G`, `512m`, `1024`, `100 MiB`).
pub fn parse_bytes(s: &str) -> Result<i64, String> {
    berth_units::size::ram_in_bytes(s).ok_or_else(|| format!("invalid size: '{s}'"))
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

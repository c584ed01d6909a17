//! RFC 3339 timestamps (UTC), matching Go's `time.RFC3339` / `time.RFC3339Nano` and
//! `Time.String()` output; berth-units does the work.

use std::time::SystemTime;

use berth_units::rfc3339::{self, Fraction};

/// Go's zero `time.Time` as Docker serialises it (e.g. `StartedAt` of a
/// container that never ran).
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Parses an RFC 3339 timestamp such as `2024-05-01T12:30:45.123456789Z` or
/// `2024-05-01T14:30:45+02:00`. Returns `None` if malformed.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    rfc3339::parse(s)
}

/// Formats `t` in UTC as RFC 3339 (`2024-05-01T12:30:45Z`), or with
/// `nanos` as Go's RFC3339Nano (`2024-05-01T12:30:45.1234Z`, zeros trimmed).
pub fn format_rfc3339(t: SystemTime, nanos: bool) -> String {
    let fraction = if nanos {
        Fraction::Trimmed
    } else {
        Fraction::Omit
    };
    rfc3339::format(t, fraction)
}

/// Formats `t` like Go's `time.Time.String()` in UTC, as `docker ps` shows
/// `CreatedAt`: `2024-05-01 12:30:45 +0000 UTC`.
pub fn format_go_time(t: SystemTime) -> String {
    rfc3339::format_go_string(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn parse_and_format_round_trip() {
        let t = parse_rfc3339("2024-02-29T23:59:58.123456789Z");
        assert_eq!(t, Some(at(1_709_251_198, 123_456_789)));
        assert_eq!(
            t.map(|t| format_rfc3339(t, true)).as_deref(),
            Some("2024-02-29T23:59:58.123456789Z")
        );
        assert_eq!(
            t.map(|t| format_rfc3339(t, false)).as_deref(),
            Some("2024-02-29T23:59:58Z")
        );
        assert_eq!(
            format_rfc3339(at(0, 500_000_000), true),
            "1970-01-01T00:00:00.5Z"
        );
        assert_eq!(format_rfc3339(at(0, 0), true), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn offsets_and_precision() {
        assert_eq!(parse_rfc3339("1970-01-01T02:00:00+02:00"), Some(at(0, 0)));
        assert_eq!(
            parse_rfc3339("1970-01-01T00:00:00.1234567891Z"),
            Some(at(0, 123_456_789))
        );
        assert_eq!(parse_rfc3339("1969-12-31T19:00:01-05:00"), Some(at(1, 0)));
    }

    #[test]
    fn zero_time_and_negative() {
        let zero = parse_rfc3339(GO_ZERO_TIME);
        assert!(zero.is_some());
        assert_eq!(
            zero.map(|t| format_rfc3339(t, true)).as_deref(),
            Some(GO_ZERO_TIME)
        );
        let before = parse_rfc3339("1969-12-31T23:59:59.25Z");
        assert_eq!(
            before.map(|t| format_rfc3339(t, true)).as_deref(),
            Some("1969-12-31T23:59:59.25Z")
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T25:00:00Z",
            "２０２４-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn go_time_string() {
        assert_eq!(
            format_go_time(at(1_700_000_000, 0)),
            "2023-11-14 22:13:20 +0000 UTC"
        );
    }
}

//! RFC 3339 timestamps with nanoseconds in UTC (`2024-05-01T12:00:00.000000001Z`), the form
//! of log lines and status.json; the calendar arithmetic is berth-units'.

use std::time::{SystemTime, UNIX_EPOCH};

use berth_units::rfc3339::{self, Fraction};

pub use berth_units::civil::{civil_from_days, days_from_civil};

/// Formats `t` as RFC 3339 with nine fractional digits, UTC (Docker's RFC3339NanoFixed).
pub fn format(t: SystemTime) -> String {
    rfc3339::format(t, Fraction::Fixed)
}

/// The current time, formatted by [`format`].
pub fn now() -> String {
    format(SystemTime::now())
}

/// Parses an RFC 3339 timestamp (any number of fractional digits, `Z` or `±hh:mm`; a
/// space instead of the `T` is accepted too); times before 1970 are `None`.
pub fn parse(s: &str) -> Option<SystemTime> {
    let t = match s.as_bytes().get(10) {
        Some(b' ') => rfc3339::parse(&format!("{}T{}", &s[..10], &s[11..]))?,
        _ => rfc3339::parse(s)?,
    };
    t.duration_since(UNIX_EPOCH).ok().map(|_| t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn round_trip() {
        let t = UNIX_EPOCH + Duration::new(1_714_564_800, 1);
        let s = format(t);
        assert_eq!(s, "2024-05-01T12:00:00.000000001Z");
        assert_eq!(parse(&s), Some(t));
        assert_eq!(format(UNIX_EPOCH), "1970-01-01T00:00:00.000000000Z");
    }

    #[test]
    fn parse_forms() {
        let t = UNIX_EPOCH + Duration::new(1_714_564_800, 500_000_000);
        assert_eq!(parse("2024-05-01T12:00:00.5Z"), Some(t));
        assert_eq!(parse("2024-05-01T14:00:00.5+02:00"), Some(t));
        assert_eq!(
            parse("2000-02-29T00:00:00Z").map(format).unwrap(),
            "2000-02-29T00:00:00.000000000Z"
        );
        assert_eq!(parse("2024-05-01 12:00"), None);
        assert_eq!(parse("garbage-here-and-more"), None);
    }
}

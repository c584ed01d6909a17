//! RFC 3339 UTC timestamps as Go prints them; berth-units does the work.

use std::time::SystemTime;

use berth_units::civil::to_unix;
use berth_units::rfc3339::{format_unix, Fraction};

/// The current time in UTC, RFC 3339 with nanoseconds as Go prints them
/// (`2024-05-01T12:34:56.123456789Z`, trailing zeros of the fraction dropped).
pub fn now_rfc3339() -> String {
    let (secs, nanos) = to_unix(SystemTime::now());
    format_rfc3339(secs, nanos)
}

/// Formats seconds and nanoseconds since the Unix epoch as an RFC 3339 UTC timestamp.
pub fn format_rfc3339(secs: i64, nanos: u32) -> String {
    format_unix(secs, nanos, Fraction::Trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(format_rfc3339(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(951_782_400, 0), "2000-02-29T00:00:00Z");
        assert_eq!(
            format_rfc3339(1_700_000_000, 120_000_000),
            "2023-11-14T22:13:20.12Z"
        );
        assert_eq!(format_rfc3339(-1, 0), "1969-12-31T23:59:59Z");
        assert_eq!(
            format_rfc3339(4_102_444_800, 5),
            "2100-01-01T00:00:00.000000005Z"
        );
    }

    #[test]
    fn now_looks_right() {
        let now = now_rfc3339();
        assert!(now.ends_with('Z') && now.starts_with("20"), "{now}");
        assert_eq!(&now[10..11], "T");
    }
}

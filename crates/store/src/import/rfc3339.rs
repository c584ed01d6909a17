//! RFC 3339 UTC timestamps without a date library (civil-from-days).

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time in UTC, RFC 3339 with nanoseconds as Go prints them
/// (`2024-05-01T12:34:56.123456789Z`, trailing zeros of the fraction dropped).
pub fn now_rfc3339() -> String {
    let (secs, nanos) = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(e) => {
            let d = e.duration();
            let secs = -i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            match d.subsec_nanos() {
                0 => (secs, 0),
                n => (secs - 1, 1_000_000_000 - n),
            }
        }
    };
    format_rfc3339(secs, nanos)
}

/// Formats seconds and nanoseconds since the Unix epoch as an RFC 3339 UTC timestamp.
pub fn format_rfc3339(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if nanos > 0 && nanos < 1_000_000_000 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Year, month (1-12) and day (1-31) of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm, proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
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

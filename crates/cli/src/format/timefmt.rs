//! RFC 3339 timestamps (UTC) without a date library, matching Go's
//! `time.RFC3339` / `time.RFC3339Nano` and `Time.String()` output.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use berth_runtime::time::civil_from_days;

/// Go's zero `time.Time` as Docker serialises it (e.g. `StartedAt` of a
/// container that never ran).
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    berth_runtime::time::days_from_civil(y, i64::from(m), i64::from(d))
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Seconds and nanoseconds relative to the Unix epoch (seconds may be negative).
fn to_unix(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (s, n) = (d.as_secs() as i64, d.subsec_nanos());
            if n == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000_000 - n)
            }
        }
    }
}

fn from_unix(secs: i64, nanos: u32) -> Option<SystemTime> {
    if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::new(secs as u64, nanos))
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(secs.unsigned_abs()))?
            .checked_add(Duration::from_nanos(u64::from(nanos)))
    }
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses an RFC 3339 timestamp such as `2024-05-01T12:30:45.123456789Z` or
/// `2024-05-01T14:30:45+02:00`. Returns `None` if malformed.
pub fn parse_rfc3339(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't') {
        return None;
    }
    let year = num(s.get(0..4)?)? as i64;
    let (month, day) = (num(s.get(5..7)?)?, num(s.get(8..10)?)?);
    let (hour, min, sec) = (
        num(s.get(11..13)?)?,
        num(s.get(14..16)?)?,
        num(s.get(17..19)?)?,
    );
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    let mut rest = s.get(19..)?;
    let mut nanos = 0u32;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let kept = &frac[..digits.min(9)];
        nanos = num(kept)? * 10u32.pow(9 - kept.len() as u32);
        rest = &frac[digits..];
    }
    let offset: i64 = match rest {
        "Z" | "z" => 0,
        _ => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || !matches!(rb[0], b'+' | b'-') || rb[3] != b':' {
                return None;
            }
            let (oh, om) = (num(&rest[1..3])?, num(&rest[4..6])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let o = i64::from(oh * 3600 + om * 60);
            if rb[0] == b'-' {
                -o
            } else {
                o
            }
        }
    };
    let secs = days_from_civil(year, month, day) * 86_400 + i64::from(hour * 3600 + min * 60 + sec)
        - offset;
    from_unix(secs, nanos)
}

/// Date and time-of-day parts of `t` in UTC.
fn parts(t: SystemTime) -> ((i64, u32, u32), (i64, i64, i64), u32) {
    let (secs, nanos) = to_unix(t);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    (
        civil_from_days(days),
        (tod / 3600, tod % 3600 / 60, tod % 60),
        nanos,
    )
}

/// Go's `.999999999` fraction: trailing zeros trimmed, empty when zero.
fn fraction(nanos: u32) -> String {
    if nanos == 0 {
        return String::new();
    }
    let s = format!(".{nanos:09}");
    s.trim_end_matches('0').to_string()
}

/// Formats `t` in UTC as RFC 3339 (`2024-05-01T12:30:45Z`), or with
/// `nanos` as Go's RFC3339Nano (`2024-05-01T12:30:45.1234Z`, zeros trimmed).
pub fn format_rfc3339(t: SystemTime, nanos: bool) -> String {
    let ((y, mo, d), (h, mi, s), n) = parts(t);
    let frac = if nanos { fraction(n) } else { String::new() };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{frac}Z")
}

/// Formats `t` like Go's `time.Time.String()` in UTC, as `docker ps` shows
/// `CreatedAt`: `2024-05-01 12:30:45 +0000 UTC`.
pub fn format_go_time(t: SystemTime) -> String {
    let ((y, mo, d), (h, mi, s), n) = parts(t);
    let frac = fraction(n);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}{frac} +0000 UTC")
}

#[cfg(test)]
mod tests {
    use super::*;

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

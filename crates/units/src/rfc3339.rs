//! RFC 3339 timestamps in UTC, as Go's `time` package prints and parses them.

use std::time::SystemTime;

use crate::civil::{civil_from_days, days_from_civil, days_in_month, from_unix, to_unix};

/// How the fraction of a second is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fraction {
    /// None (Go's `time.RFC3339`).
    Omit,
    /// Trailing zeros dropped, nothing when zero (Go's `time.RFC3339Nano`).
    Trimmed,
    /// Always nine digits (Docker's `RFC3339NanoFixed`, used in logs).
    Fixed,
}

/// Formats `secs` and `nanos` since the Unix epoch as `2024-05-01T12:30:45[.frac]Z`.
pub fn format_unix(secs: i64, nanos: u32, fraction: Fraction) -> String {
    let (date, time) = date_time(secs);
    format!("{date}T{time}{}Z", frac(nanos, fraction))
}

/// Formats `t` as `2024-05-01T12:30:45[.frac]Z`.
pub fn format(t: SystemTime, fraction: Fraction) -> String {
    let (secs, nanos) = to_unix(t);
    format_unix(secs, nanos, fraction)
}

/// Formats `t` like Go's `time.Time.String()` in UTC: `2024-05-01 12:30:45.5 +0000 UTC`.
pub fn format_go_string(t: SystemTime) -> String {
    let (secs, nanos) = to_unix(t);
    let (date, time) = date_time(secs);
    format!("{date} {time}{} +0000 UTC", frac(nanos, Fraction::Trimmed))
}

fn date_time(secs: i64) -> (String, String) {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let tod = secs.rem_euclid(86_400);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{:02}:{:02}:{:02}", tod / 3600, tod % 3600 / 60, tod % 60),
    )
}

fn frac(nanos: u32, fraction: Fraction) -> String {
    match fraction {
        Fraction::Omit => String::new(),
        Fraction::Fixed => format!(".{nanos:09}"),
        Fraction::Trimmed if nanos == 0 => String::new(),
        Fraction::Trimmed => format!(".{nanos:09}").trim_end_matches('0').to_string(),
    }
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses an RFC 3339 timestamp as Go's `time.Parse(time.RFC3339Nano, s)` accepts it:
/// `2024-05-01T12:30:45Z`, any number of fractional digits (nanoseconds kept), `Z` or
/// `±hh:mm`; the date and time must be valid. `None` if malformed.
pub fn parse(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !matches!(b[10], b'T' | b't') {
        return None;
    }
    let year = i64::from(num(s.get(0..4)?)?);
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
    let days = days_from_civil(year, i64::from(month), i64::from(day));
    let secs = days * 86_400 + i64::from(hour * 3600 + min * 60 + sec) - offset;
    from_unix(secs, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn at(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    #[test]
    fn formats() {
        let t = at(1_714_564_800, 1);
        assert_eq!(format(t, Fraction::Fixed), "2024-05-01T12:00:00.000000001Z");
        assert_eq!(
            format(t, Fraction::Trimmed),
            "2024-05-01T12:00:00.000000001Z"
        );
        assert_eq!(format(t, Fraction::Omit), "2024-05-01T12:00:00Z");
        assert_eq!(
            format_unix(1_700_000_000, 120_000_000, Fraction::Trimmed),
            "2023-11-14T22:13:20.12Z"
        );
        assert_eq!(
            format_unix(-1, 0, Fraction::Trimmed),
            "1969-12-31T23:59:59Z"
        );
        assert_eq!(
            format_go_string(at(1_700_000_000, 0)),
            "2023-11-14 22:13:20 +0000 UTC"
        );
    }

    #[test]
    fn parses_go_forms() {
        assert_eq!(
            parse("2024-02-29T23:59:58.123456789Z"),
            Some(at(1_709_251_198, 123_456_789))
        );
        assert_eq!(parse("1970-01-01T02:00:00+02:00"), Some(at(0, 0)));
        assert_eq!(
            parse("1970-01-01T00:00:00.1234567891Z"),
            Some(at(0, 123_456_789))
        );
        let zero = parse("0001-01-01T00:00:00Z").unwrap();
        assert_eq!(format(zero, Fraction::Trimmed), "0001-01-01T00:00:00Z");
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
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}

//! Go's `time.ParseDuration` and `time.Duration.String`.

/// Nanoseconds per unit, as Go names them.
fn unit_nanos(unit: &str) -> Option<i128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" | "μs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// Parses a Go duration into nanoseconds: a sign, then one or more decimal numbers each
/// with a unit (`300ms`, `-1.5h`, `2h45m`, `.5s`); `0` alone needs no unit. Errors are
/// Go's messages (`time: missing unit in duration "10"`).
pub fn parse(orig: &str) -> Result<i64, String> {
    parse_quoting(orig, |s| format!("{s:?}"))
}

/// [`parse`], with `quote` quoting the input and unit in errors (Go's `strconv.Quote` where
/// the caller has one).
pub fn parse_quoting(orig: &str, quote: impl Fn(&str) -> String) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", quote(orig));
    let mut s = orig;
    let neg = s.starts_with('-');
    if let Some(rest) = s.strip_prefix(['-', '+']) {
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
            Some(r) => r.split_at(r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len())),
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
            return Err(format!("time: missing unit in duration {}", quote(orig)));
        }
        let scale = unit_nanos(unit).ok_or_else(|| {
            format!(
                "time: unknown unit {} in duration {}",
                quote(unit),
                quote(orig)
            )
        })?;
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

/// Go's `time.Duration.String` of `d` nanoseconds: `1h0m0s`, `1m30s`, `1.5s`, `500ms`,
/// `100µs`, `0s`.
pub fn format(d: i64) -> String {
    if d == 0 {
        return "0s".into();
    }
    let u = d.unsigned_abs();
    let mut out = String::new();
    if d < 0 {
        out.push('-');
    }
    if u < 1_000_000_000 {
        let (unit, name) = match u {
            0..=999 => (1, "ns"),
            1_000..=999_999 => (1_000, "µs"),
            _ => (1_000_000, "ms"),
        };
        out.push_str(&decimal(u, unit));
        out.push_str(name);
    } else {
        let mins_total = u / 60_000_000_000;
        let (hours, mins) = (mins_total / 60, mins_total % 60);
        if hours > 0 {
            out.push_str(&format!("{hours}h"));
        }
        if mins_total > 0 {
            out.push_str(&format!("{mins}m"));
        }
        out.push_str(&decimal(u % 60_000_000_000, 1_000_000_000));
        out.push('s');
    }
    out
}

/// `v / unit` with the fraction's trailing zeros dropped.
fn decimal(v: u64, unit: u64) -> String {
    let (int, rem) = (v / unit, v % unit);
    if rem == 0 {
        return int.to_string();
    }
    let width = unit.ilog10() as usize;
    let f = format!("{rem:0width$}");
    format!("{int}.{}", f.trim_end_matches('0'))
}

/// go-units `HumanDuration`: `"Less than a second"`, `"1 second"`, `"About a minute"`,
/// `"5 minutes"`, `"About an hour"`, `"3 hours"`, `"2 days"`, `"3 weeks"`, `"4 months"`,
/// `"2 years"` (`docker ps`'s "Up 3 seconds", `docker images`' "2 days ago").
pub fn human_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let hours_f = d.as_secs_f64() / 3600.0;
    let minutes = secs / 60;
    let hours = (hours_f + 0.5) as u64;
    match () {
        _ if secs < 1 => "Less than a second".into(),
        _ if secs == 1 => "1 second".into(),
        _ if secs < 60 => format!("{secs} seconds"),
        _ if minutes == 1 => "About a minute".into(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", (hours_f as u64) / 24 / 365),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_round_trip() {
        for (s, ns, shown) in [
            ("1m30s", 90_000_000_000, "1m30s"),
            ("0", 0, "0s"),
            ("1h", 3_600_000_000_000, "1h0m0s"),
            ("1.5h", 5_400_000_000_000, "1h30m0s"),
            ("1h2m3.5s", 3_723_500_000_000, "1h2m3.5s"),
            ("300ms", 300_000_000, "300ms"),
            ("2us", 2_000, "2µs"),
            ("2µs", 2_000, "2µs"),
            ("7ns", 7, "7ns"),
            ("-1m", -60_000_000_000, "-1m0s"),
            ("+5s", 5_000_000_000, "5s"),
            (".5s", 500_000_000, "500ms"),
        ] {
            assert_eq!(parse(s), Ok(ns), "{s}");
            assert_eq!(format(ns), shown, "{s}");
        }
    }

    #[test]
    fn go_errors() {
        assert_eq!(
            parse("10").unwrap_err(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            parse("5x").unwrap_err(),
            "time: unknown unit \"x\" in duration \"5x\""
        );
        assert_eq!(parse("abc").unwrap_err(), "time: invalid duration \"abc\"");
        for bad in ["", "-", "s", ".s", "1..2s", "9999999999h"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}

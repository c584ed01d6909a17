//! Go-style durations (`1h2m3.5s`, `300ms`) and signal names (`SIGTERM`, `15`, `SIGRTMIN+3`).

use std::time::Duration;

use crate::spec::{Error, Result};

/// Parses a duration the way Go's `time.ParseDuration` does (`"1h2m3.5s"`, `"300ms"`, `"0"`;
/// units `ns us µs ms s m h`), refusing negative values. `flag` names the flag in errors.
pub fn parse_duration(flag: &str, value: &str) -> Result<Duration> {
    go_duration(value).map_err(|reason| Error::flag(flag, value, reason))
}

fn go_duration(orig: &str) -> Result<Duration, String> {
    let ns = berth_units::duration::parse(orig)?;
    let ns = u64::try_from(ns).map_err(|_| format!("duration \"{orig}\" cannot be negative"))?;
    Ok(Duration::from_nanos(ns))
}

/// Linux signals by name, without `SIG`.
const SIGNALS: &[(&str, i32)] = &[
    ("ABRT", 6),
    ("ALRM", 14),
    ("BUS", 7),
    ("CHLD", 17),
    ("CLD", 17),
    ("CONT", 18),
    ("FPE", 8),
    ("HUP", 1),
    ("ILL", 4),
    ("INT", 2),
    ("IO", 29),
    ("IOT", 6),
    ("KILL", 9),
    ("PIPE", 13),
    ("POLL", 29),
    ("PROF", 27),
    ("PWR", 30),
    ("QUIT", 3),
    ("SEGV", 11),
    ("STKFLT", 16),
    ("STOP", 19),
    ("SYS", 31),
    ("TERM", 15),
    ("TRAP", 5),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("USR1", 10),
    ("USR2", 12),
    ("VTALRM", 26),
    ("WINCH", 28),
    ("XCPU", 24),
    ("XFSZ", 25),
];

/// First and last real-time signal as Docker numbers them.
const RTMIN: i32 = 34;
const RTMAX: i32 = 64;

/// Parses a signal as Docker's `signal.ParseSignal` does: a number (1..=64), or a name with
/// or without `SIG`, any case, including `RTMIN+n` and `RTMAX-n`.
pub fn parse_signal(value: &str) -> Result<i32> {
    let bad = || Error::Conflict(format!("Invalid signal: {value}"));
    if let Ok(n) = value.parse::<i64>() {
        return match n {
            1..=64 => Ok(n as i32),
            _ => Err(bad()),
        };
    }
    let upper = value.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if let Some(&(_, n)) = SIGNALS.iter().find(|(s, _)| *s == name) {
        return Ok(n);
    }
    let rt = |base: i32, off: &str, sign: i32| -> Option<i32> {
        let off: i32 = if off.is_empty() { 0 } else { off.parse().ok()? };
        let n = base + sign * off;
        (RTMIN..=RTMAX).contains(&n).then_some(n)
    };
    let n = if let Some(rest) = name.strip_prefix("RTMIN") {
        match rest.strip_prefix('+') {
            Some(off) if !off.is_empty() => rt(RTMIN, off, 1),
            None if rest.is_empty() => rt(RTMIN, "", 1),
            _ => None,
        }
    } else if let Some(rest) = name.strip_prefix("RTMAX") {
        match rest.strip_prefix('-') {
            Some(off) if !off.is_empty() => rt(RTMAX, off, -1),
            None if rest.is_empty() => rt(RTMAX, "", 1),
            _ => None,
        }
    } else {
        None
    };
    n.ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Duration {
        parse_duration("--health-interval", s).unwrap()
    }

    #[test]
    fn durations() {
        assert_eq!(d("10s"), Duration::from_secs(10));
        assert_eq!(d("300ms"), Duration::from_millis(300));
        assert_eq!(d("1h2m3.5s"), Duration::from_millis(3_723_500));
        assert_eq!(d("1.5h"), Duration::from_secs(5400));
        assert_eq!(d("0"), Duration::ZERO);
        assert_eq!(d("+5s"), Duration::from_secs(5));
        assert_eq!(d("1us"), Duration::from_micros(1));
        assert_eq!(d("1µs"), Duration::from_micros(1));
        assert_eq!(d(".5s"), Duration::from_millis(500));
        assert_eq!(d("2h45m"), Duration::from_secs(9900));
    }

    #[test]
    fn bad_durations() {
        let e = |s: &str| {
            parse_duration("--health-interval", s)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            e("10"),
            "invalid argument \"10\" for \"--health-interval\" flag: time: missing unit in duration \"10\""
        );
        assert_eq!(
            e("10x"),
            "invalid argument \"10x\" for \"--health-interval\" flag: time: unknown unit \"x\" in duration \"10x\""
        );
        for s in ["", "s", ".s", "-5s", "1..2s", "9999999999h"] {
            assert!(parse_duration("--x", s).is_err(), "{s}");
        }
    }

    #[test]
    fn signals() {
        assert_eq!(parse_signal("SIGTERM").unwrap(), 15);
        assert_eq!(parse_signal("TERM").unwrap(), 15);
        assert_eq!(parse_signal("sigkill").unwrap(), 9);
        assert_eq!(parse_signal("15").unwrap(), 15);
        assert_eq!(parse_signal("SIGRTMIN").unwrap(), 34);
        assert_eq!(parse_signal("SIGRTMIN+3").unwrap(), 37);
        assert_eq!(parse_signal("RTMAX-1").unwrap(), 63);
        assert_eq!(parse_signal("SIGRTMAX").unwrap(), 64);
        for s in [
            "", "0", "65", "-1", "SIGFOO", "RTMIN+31", "RTMIN-1", "RTMIN+", "SIG",
        ] {
            assert!(parse_signal(s).is_err(), "{s}");
        }
        assert_eq!(
            parse_signal("SIGFOO").unwrap_err().to_string(),
            "Invalid signal: SIGFOO"
        );
    }
}

//! HEALTHCHECK options: Go `time.ParseDuration` / `Duration.String` and BuildKit's checks.

use berth_store::oci::Healthcheck;

use super::flags::Flags;

/// Go's `time.ParseDuration`: `300ms`, `-1.5h`, `2h45m`; units `ns us µs ms s m h`. Returns
/// nanoseconds.
pub fn parse_go_duration(s: &str) -> Result<i64, String> {
    berth_units::duration::parse_quoting(s, berth_dockerfile::parser::go_quote)
}

/// Go's `time.Duration.String()` for a non-negative nanosecond count (`1m30s`, `500ms`, `0s`).
pub fn format_go_duration(ns: u64) -> String {
    berth_units::duration::format(i64::try_from(ns).unwrap_or(i64::MAX))
}

/// BuildKit's `parseOptInterval`: empty or zero -> 0; otherwise at least 1ms.
fn interval(flags: &Flags, name: &str) -> Result<u64, String> {
    let Some(v) = flags.string(name) else {
        return Ok(0);
    };
    if v.is_empty() {
        return Ok(0);
    }
    let d = parse_go_duration(&v)?;
    if d == 0 {
        return Ok(0);
    }
    if d < 1_000_000 {
        return Err(format!("Interval \"{name}\" cannot be less than 1ms"));
    }
    Ok(d as u64)
}

/// Builds the healthcheck config from the checked flags and the `CMD` arguments.
pub(crate) fn build(
    flags: &Flags,
    typ: &str,
    args: &[String],
    json: bool,
) -> Result<Healthcheck, String> {
    let mut test = match typ {
        "CMD" => {
            let cmd: Vec<String> = if json {
                args.to_vec()
            } else if args.is_empty() {
                Vec::new()
            } else {
                vec![args.join(" ")]
            };
            if cmd.is_empty() || (!json && cmd[0].is_empty()) {
                return Err("Missing command after HEALTHCHECK CMD".into());
            }
            let mut t = vec![if json { "CMD" } else { "CMD-SHELL" }.to_string()];
            t.extend(cmd);
            t
        }
        _ => {
            return Err(format!(
                "Unknown type {} in HEALTHCHECK (try CMD)",
                berth_dockerfile::parser::go_quote(typ)
            ))
        }
    };
    let retries = match flags.string("retries") {
        None => 0,
        Some(v) if v.is_empty() => 0,
        Some(v) => {
            let r: i64 = v.parse().map_err(|_| {
                format!(
                    "strconv.ParseInt: parsing {}: invalid syntax",
                    berth_dockerfile::parser::go_quote(&v)
                )
            })?;
            if r < 0 {
                return Err(format!("--retries cannot be negative ({r})"));
            }
            u32::try_from(r)
                .ok()
                .filter(|r| *r <= i32::MAX as u32)
                .ok_or_else(|| {
                    format!(
                        "strconv.ParseInt: parsing {}: value out of range",
                        berth_dockerfile::parser::go_quote(&v)
                    )
                })?
        }
    };
    Ok(Healthcheck {
        test: std::mem::take(&mut test),
        interval: interval(flags, "interval")?,
        timeout: interval(flags, "timeout")?,
        start_period: interval(flags, "start-period")?,
        start_interval: interval(flags, "start-interval")?,
        retries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_durations() {
        assert_eq!(parse_go_duration("30s"), Ok(30_000_000_000));
        assert_eq!(parse_go_duration("1m30s"), Ok(90_000_000_000));
        assert_eq!(parse_go_duration("500ms"), Ok(500_000_000));
        assert_eq!(parse_go_duration("1h"), Ok(3_600_000_000_000));
        assert_eq!(parse_go_duration("1.5s"), Ok(1_500_000_000));
        assert_eq!(parse_go_duration("0"), Ok(0));
        assert_eq!(parse_go_duration("-2s"), Ok(-2_000_000_000));
        assert_eq!(
            parse_go_duration("10").unwrap_err(),
            "time: missing unit in duration \"10\""
        );
        assert_eq!(
            parse_go_duration("3x").unwrap_err(),
            "time: unknown unit \"x\" in duration \"3x\""
        );
        assert!(parse_go_duration("abc").is_err());
        assert!(parse_go_duration("").is_err());
    }

    #[test]
    fn formats_go_durations() {
        assert_eq!(format_go_duration(0), "0s");
        assert_eq!(format_go_duration(30_000_000_000), "30s");
        assert_eq!(format_go_duration(90_000_000_000), "1m30s");
        assert_eq!(format_go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(format_go_duration(500_000_000), "500ms");
        assert_eq!(format_go_duration(1_500_000_000), "1.5s");
        assert_eq!(format_go_duration(1_500), "1.5µs");
    }
}

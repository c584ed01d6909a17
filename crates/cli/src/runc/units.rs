//! Human-readable sizes for `update --memory 100m` and friends (docker's RAMInBytes rules).

/// Parses `N[b|k|m|g|t][b]` (case-insensitive, powers of 1024); `-1` means unlimited.
pub fn parse_size(s: &str) -> Result<i64, String> {
    let t = s.trim().to_ascii_lowercase();
    if t == "-1" {
        return Ok(-1);
    }
    let t = t
        .strip_suffix('b')
        .filter(|r| !r.is_empty() && r.chars().last().is_some_and(|c| c.is_alphabetic()))
        .unwrap_or(&t);
    let (num, mult) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1i64 << 10),
        Some('m') => (&t[..t.len() - 1], 1 << 20),
        Some('g') => (&t[..t.len() - 1], 1 << 30),
        Some('t') => (&t[..t.len() - 1], 1 << 40),
        Some('b') => (&t[..t.len() - 1], 1),
        _ => (t, 1),
    };
    let n: f64 = num.parse().map_err(|_| format!("invalid size {s:?}"))?;
    if n < 0.0 {
        return Err(format!("invalid size {s:?}"));
    }
    Ok((n * mult as f64) as i64)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("100").unwrap(), 100);
        assert_eq!(parse_size("4k").unwrap(), 4096);
        assert_eq!(parse_size("10M").unwrap(), 10 << 20);
        assert_eq!(parse_size("1gb").unwrap(), 1 << 30);
        assert_eq!(parse_size("-1").unwrap(), -1);
        assert!(parse_size("x").is_err());
    }
}

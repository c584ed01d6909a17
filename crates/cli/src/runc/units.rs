//! Human-readable sizes for `update --memory 100m` and friends (go-units' RAMInBytes, from
//! berth-units).

/// Parses a size as go-units' `RAMInBytes` (`100m`, `1gb`, case-insensitive, powers of
/// 1024); `-1` means unlimited.
pub fn parse_size(s: &str) -> Result<i64, String> {
    if s == "-1" {
        return Ok(-1);
    }
    berth_units::size::ram_in_bytes(s).ok_or_else(|| format!("invalid size {s:?}"))
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

//! Byte sizes as go-units (`github.com/docker/go-units`) parses them.

/// Parses a size as go-units' `RAMInBytes` does (`--memory`, `--shm-size`, tmpfs
/// `size=`): the whole string must match `^(\d+(\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$`, and
/// units are powers of 1024 (`512m`, `1.5g`, `2GiB`, `3 MB`, `1024`). `None` when it does
/// not match or overflows an `i64`.
pub fn ram_in_bytes(s: &str) -> Option<i64> {
    parse_with(s, 1024.0)
}

/// Parses a size as go-units' `FromHumanSize` does: the same grammar as [`ram_in_bytes`]
/// but decimal units (`1.5GB` is 1,500,000,000; `1KiB` is still 1000).
pub fn from_human_size(s: &str) -> Option<i64> {
    parse_with(s, 1000.0)
}

fn parse_with(s: &str, base: f64) -> Option<i64> {
    let num_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(num_end);
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (num, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return None;
    }
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let mut chars = rest.chars().peekable();
    let exp = match chars.peek().map(char::to_ascii_lowercase) {
        Some(u @ ('k' | 'm' | 'g' | 't' | 'p')) => {
            chars.next();
            match u {
                'k' => 1,
                'm' => 2,
                'g' => 3,
                't' => 4,
                _ => 5,
            }
        }
        _ => 0,
    };
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'i')) {
        chars.next();
    }
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'b')) {
        chars.next();
    }
    if chars.next().is_some() {
        return None;
    }
    let v = num.parse::<f64>().ok()? * base.powi(exp);
    if !v.is_finite() || v >= i64::MAX as f64 {
        return None;
    }
    Some(v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_sizes() {
        for (s, n) in [
            ("1024", 1024),
            ("100k", 102_400),
            ("512m", 512 << 20),
            ("512M", 512 << 20),
            ("1g", 1 << 30),
            ("1.5g", 1_610_612_736),
            ("2gb", 2 << 30),
            ("2GiB", 2 << 30),
            ("3 MB", 3 << 20),
            ("1t", 1 << 40),
            ("1p", 1 << 50),
            ("10b", 10),
            ("0", 0),
        ] {
            assert_eq!(ram_in_bytes(s), Some(n), "{s}");
        }
        for bad in [
            "",
            "12x",
            "-1",
            "m",
            "1..5g",
            "1.g",
            ".5g",
            "1gg",
            "1 g b x",
            " 1g",
            "1g ",
            "1  g",
            "99999999999p",
        ] {
            assert_eq!(ram_in_bytes(bad), None, "{bad}");
        }
    }

    #[test]
    fn decimal_sizes() {
        assert_eq!(from_human_size("1.5GB"), Some(1_500_000_000));
        assert_eq!(from_human_size("32"), Some(32));
        assert_eq!(from_human_size("1KiB"), Some(1000));
        assert_eq!(from_human_size("1x"), None);
    }
}

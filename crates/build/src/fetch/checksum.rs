//! `ADD --checksum=<algorithm>:<hex>`: parsing the expected digest.

use super::error::FetchError;

/// Parses `sha256:<64 hex digits>` into the normalized (lower-case) digest string.
pub(crate) fn parse_sha256(checksum: &str) -> Result<String, FetchError> {
    let invalid = |reason: &str| FetchError::InvalidChecksum {
        checksum: checksum.to_string(),
        reason: reason.to_string(),
    };
    let (algorithm, hex) = checksum
        .split_once(':')
        .ok_or_else(|| invalid("expected <algorithm>:<hex digest>"))?;
    if algorithm != "sha256" {
        return Err(FetchError::UnsupportedChecksum {
            algorithm: algorithm.to_string(),
        });
    }
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("a sha256 digest is 64 hexadecimal digits"));
    }
    Ok(format!("sha256:{}", hex.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let hex = "AB".repeat(32);
        assert_eq!(
            parse_sha256(&format!("sha256:{hex}")).unwrap(),
            format!("sha256:{}", hex.to_lowercase())
        );
        let err = parse_sha256("sha512:abcd").unwrap_err().to_string();
        assert!(err.contains("unsupported checksum algorithm"), "{err}");
        assert!(matches!(
            parse_sha256("sha256:abc"),
            Err(FetchError::InvalidChecksum { .. })
        ));
        assert!(matches!(
            parse_sha256("deadbeef"),
            Err(FetchError::InvalidChecksum { .. })
        ));
    }
}

//! Interface name rules, checked before a name reaches the kernel so errors say why.

use super::LinkError;

/// Longest interface name the kernel accepts (`IFNAMSIZ` - 1).
pub const MAX_NAME_LEN: usize = 15;

/// Checks `name` against the kernel's rules for interface names (`dev_valid_name`).
pub fn check_name(name: &str) -> Result<(), LinkError> {
    let reason = if name.is_empty() {
        Some("empty")
    } else if name.len() > MAX_NAME_LEN {
        Some("longer than 15 bytes")
    } else if name == "." || name == ".." {
        Some("reserved")
    } else if name
        .bytes()
        .any(|b| b == b'/' || b == b':' || b == 0 || b.is_ascii_whitespace())
    {
        Some("contains '/', ':', NUL or whitespace")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(LinkError::InvalidName {
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_kernel_rules() {
        for ok in ["eth0", "br-0123456789ab", "veth.1"] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "0123456789abcdef", "a/b", "a:b", "a b", ".", ".."] {
            assert!(
                matches!(check_name(bad), Err(LinkError::InvalidName { .. })),
                "{bad}"
            );
        }
    }
}

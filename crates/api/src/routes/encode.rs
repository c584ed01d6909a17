//! Small encodings the system, network and container-view routes share: RFC 3339 times,
//! base64, Go's `os.FileMode`, stable derived IDs and Docker's human durations.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Go's zero time as dockerd prints it.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// RFC 3339 in UTC with nine fraction digits (Go's `RFC3339Nano` keeps them all).
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    rfc3339_parts(d.as_secs() as i64, d.subsec_nanos())
}

/// [`rfc3339`] from unix seconds and nanoseconds.
pub fn rfc3339_parts(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Howard Hinnant's days-to-civil: (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Unix seconds of an RFC 3339 time as the engine records them (0 when unreadable).
pub fn unix_secs(rfc: &str) -> i64 {
    berth_engine::system::prune_filter::parse_time("time", rfc, SystemTime::now())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs() as i64)
}

/// Standard base64 with padding (Go's `base64.StdEncoding`).
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A unix `st_mode` as Go's `os.FileMode` (type bits high, permissions low), the mode the
/// docker CLI reads from a path stat.
pub fn go_file_mode(unix: u32) -> u32 {
    const DIR: u32 = 1 << 31;
    const SYMLINK: u32 = 1 << 27;
    const DEVICE: u32 = 1 << 26;
    const NAMED_PIPE: u32 = 1 << 25;
    const SOCKET: u32 = 1 << 24;
    const SETUID: u32 = 1 << 23;
    const SETGID: u32 = 1 << 22;
    const CHAR_DEVICE: u32 = 1 << 21;
    const STICKY: u32 = 1 << 20;
    let mut m = unix & 0o777;
    m |= match unix & 0o170_000 {
        0o040_000 => DIR,
        0o120_000 => SYMLINK,
        0o020_000 => DEVICE | CHAR_DEVICE,
        0o060_000 => DEVICE,
        0o010_000 => NAMED_PIPE,
        0o140_000 => SOCKET,
        _ => 0,
    };
    if unix & 0o4000 != 0 {
        m |= SETUID;
    }
    if unix & 0o2000 != 0 {
        m |= SETGID;
    }
    if unix & 0o1000 != 0 {
        m |= STICKY;
    }
    m
}

/// `len` hex digits derived from `seed` (FNV-1a rounds): stable IDs for what berth does
/// not record (endpoint IDs, the engine ID).
pub fn stable_hex(seed: &str, len: usize) -> String {
    let mut out = String::new();
    let mut round = 0u64;
    while out.len() < len {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ round;
        for b in seed.bytes().chain(round.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        out.push_str(&format!("{h:016x}"));
        round += 1;
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(rfc3339_parts(0, 0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339_parts(1_700_000_000, 5),
            "2023-11-14T22:13:20.000000005Z"
        );
        assert_eq!(
            rfc3339_parts(951_782_400, 0),
            "2000-02-29T00:00:00.000000000Z"
        );
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(go_file_mode(0o040_755), (1 << 31) | 0o755);
        assert_eq!(go_file_mode(0o100_644), 0o644);
        assert_eq!(go_file_mode(0o120_777), (1 << 27) | 0o777);
        assert_eq!(go_file_mode(0o104_755), (1 << 23) | 0o755);
        assert_eq!(stable_hex("x", 64).len(), 64);
        assert_eq!(stable_hex("x", 64), stable_hex("x", 64));
        assert_ne!(stable_hex("x", 64), stable_hex("y", 64));
    }
}

//! Terminal display width of text, approximating `go-runewidth` (which the
//! Docker CLI's tabwriter and `Ellipsis` use): East Asian wide and emoji
//! characters count 2, combining marks and zero-width characters count 0.

/// Display width of one character.
pub fn char_width(c: char) -> usize {
    let u = c as u32;
    if u < 0x20 || (0x7f..0xa0).contains(&u) {
        return 0;
    }
    if u < 0x300 {
        return 1;
    }
    if is_zero_width(u) {
        0
    } else if is_wide(u) {
        2
    } else {
        1
    }
}

/// Display width of a string (sum of [`char_width`]).
pub fn str_width(s: &str) -> usize {
    // Printable ASCII, most cells, is one column a byte.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return s.len();
    }
    s.chars().map(char_width).sum()
}

fn in_ranges(u: u32, ranges: &[(u32, u32)]) -> bool {
    ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&u))
}

fn is_zero_width(u: u32) -> bool {
    in_ranges(
        u,
        &[
            (0x0300, 0x036F),
            (0x0483, 0x0489),
            (0x0591, 0x05BD),
            (0x0610, 0x061A),
            (0x064B, 0x065F),
            (0x0E31, 0x0E31),
            (0x0E34, 0x0E3A),
            (0x1AB0, 0x1AFF),
            (0x1DC0, 0x1DFF),
            (0x200B, 0x200F),
            (0x2028, 0x202E),
            (0x2060, 0x206F),
            (0x20D0, 0x20FF),
            (0xFE00, 0xFE0F),
            (0xFE20, 0xFE2F),
            (0xFEFF, 0xFEFF),
            (0xE0100, 0xE01EF),
        ],
    )
}

fn is_wide(u: u32) -> bool {
    in_ranges(
        u,
        &[
            (0x1100, 0x115F),
            (0x231A, 0x231B),
            (0x2329, 0x232A),
            (0x23E9, 0x23EC),
            (0x23F0, 0x23F0),
            (0x23F3, 0x23F3),
            (0x25FD, 0x25FE),
            (0x2614, 0x2615),
            (0x2648, 0x2653),
            (0x267F, 0x267F),
            (0x2693, 0x2693),
            (0x26A1, 0x26A1),
            (0x26AA, 0x26AB),
            (0x26BD, 0x26BE),
            (0x26C4, 0x26C5),
            (0x26CE, 0x26CE),
            (0x26D4, 0x26D4),
            (0x26EA, 0x26EA),
            (0x26F2, 0x26F3),
            (0x26F5, 0x26F5),
            (0x26FA, 0x26FA),
            (0x26FD, 0x26FD),
            (0x2705, 0x2705),
            (0x270A, 0x270B),
            (0x2728, 0x2728),
            (0x274C, 0x274C),
            (0x274E, 0x274E),
            (0x2753, 0x2755),
            (0x2757, 0x2757),
            (0x2795, 0x2797),
            (0x27B0, 0x27B0),
            (0x27BF, 0x27BF),
            (0x2B1B, 0x2B1C),
            (0x2B50, 0x2B50),
            (0x2B55, 0x2B55),
            (0x2E80, 0x303E),
            (0x3041, 0x33FF),
            (0x3400, 0x4DBF),
            (0x4E00, 0x9FFF),
            (0xA000, 0xA4CF),
            (0xA960, 0xA97F),
            (0xAC00, 0xD7A3),
            (0xF900, 0xFAFF),
            (0xFE10, 0xFE19),
            (0xFE30, 0xFE6F),
            (0xFF00, 0xFF60),
            (0xFFE0, 0xFFE6),
            (0x16FE0, 0x16FE4),
            (0x17000, 0x18CFF),
            (0x1B000, 0x1B2FF),
            (0x1F004, 0x1F004),
            (0x1F0CF, 0x1F0CF),
            (0x1F18E, 0x1F18E),
            (0x1F191, 0x1F19A),
            (0x1F200, 0x1F251),
            (0x1F300, 0x1F64F),
            (0x1F680, 0x1F6FF),
            (0x1F7E0, 0x1F7EB),
            (0x1F90C, 0x1F9FF),
            (0x1FA70, 0x1FAFF),
            (0x20000, 0x2FFFD),
            (0x30000, 0x3FFFD),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        assert_eq!(str_width("abc"), 3);
        assert_eq!(str_width("日本"), 4);
        assert_eq!(str_width("e\u{301}"), 1);
        assert_eq!(str_width("…"), 1);
        assert_eq!(str_width("🐳"), 2);
    }
}

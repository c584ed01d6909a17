//! Leading `--flag[=value]` words of an instruction (BuildKit's `extractBuilderFlags`).

/// Splits leading `--flag` words off `line`; returns `(rest, flags)`.
///
/// Flag words stop at the first word not starting with `--`; a bare `--` word is consumed and ends
/// the flags. Inside a flag word quotes are removed and `\` keeps the next character (always `\`,
/// whatever the escape directive says, as in BuildKit). Unlike BuildKit this works on characters,
/// not bytes, so non-ASCII text in a flag is kept intact.
pub(crate) fn extract_builder_flags(line: &str) -> (&str, Vec<String>) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let mut flags = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut i = 0;
    loop {
        let at_end = i >= chars.len();
        let (off, ch) = chars.get(i).copied().unwrap_or((line.len(), '\0'));
        if phase == Phase::Spaces {
            if at_end {
                break;
            }
            if ch.is_whitespace() {
                i += 1;
                continue;
            }
            let next_dash = chars.get(i + 1).map(|c| c.1) == Some('-');
            if ch != '-' || !next_dash {
                return (&line[off..], flags);
            }
            phase = Phase::Word;
        }
        if at_end {
            if word != "--" && (blank_ok || !word.is_empty()) {
                flags.push(word);
            }
            break;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if word == "--" {
                    return (&line[off..], flags);
                }
                if blank_ok || !word.is_empty() {
                    flags.push(std::mem::take(&mut word));
                }
                word.clear();
                blank_ok = false;
                i += 1;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                i += 1;
                continue;
            }
            let mut c = ch;
            if ch == '\\' {
                match chars.get(i + 1) {
                    None => {
                        i += 1;
                        continue;
                    }
                    Some(&(_, n)) => {
                        i += 1;
                        c = n;
                    }
                }
            }
            word.push(c);
            i += 1;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
            i += 1;
            continue;
        }
        let mut c = ch;
        if ch == '\\' {
            match chars.get(i + 1) {
                None => {
                    phase = Phase::Word;
                    i += 1;
                    continue;
                }
                Some(&(_, n)) => {
                    i += 1;
                    c = n;
                }
            }
        }
        word.push(c);
        i += 1;
    }
    ("", flags)
}

#[cfg(test)]
mod tests {
    use super::extract_builder_flags;

    #[test]
    fn flags() {
        assert_eq!(
            extract_builder_flags("--a=b c"),
            ("c", vec!["--a=b".to_string()])
        );
        assert_eq!(
            extract_builder_flags("--a=\"x y\" z").1,
            vec!["--a=x y".to_string()]
        );
        assert_eq!(
            extract_builder_flags("--doit -- foo"),
            (" foo", vec!["--doit".to_string()])
        );
        assert_eq!(extract_builder_flags("--x"), ("", vec!["--x".to_string()]));
        assert_eq!(extract_builder_flags("-x y"), ("-x y", vec![]));
    }
}

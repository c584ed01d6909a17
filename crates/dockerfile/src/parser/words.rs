//! Word splitters: BuildKit's `parseWords` and the `[\t\v\f\r ]+` whitespace split.

/// Splits on `[\t\v\f\r ]+` like Go's `regexp.Split(s, n)`; `n == 0` means no limit.
pub(crate) fn split_ws(s: &str, n: usize) -> Vec<&str> {
    let is_sep = |c: char| matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ');
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        if n != 0 && out.len() + 1 == n {
            out.push(rest);
            return out;
        }
        match rest.find(is_sep) {
            None => {
                out.push(rest);
                return out;
            }
            Some(start) => {
                let tail = &rest[start..];
                let len = tail.find(|c| !is_sep(c)).unwrap_or(tail.len());
                out.push(&rest[..start]);
                rest = &tail[len..];
            }
        }
    }
}

/// BuildKit's `parseWords`: splits on Unicode whitespace outside quotes, keeping quotes and
/// escape characters in the words; an escape character at the very end is dropped.
pub(crate) fn parse_words(rest: &str, escape: char) -> Vec<String> {
    let chars: Vec<char> = rest.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut blank_ok = false;
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if !in_word {
            if ch.is_whitespace() {
                i += 1;
                continue;
            }
            in_word = true;
        }
        match quote {
            None => {
                if ch.is_whitespace() {
                    if blank_ok || !word.is_empty() {
                        words.push(std::mem::take(&mut word));
                    }
                    in_word = false;
                    blank_ok = false;
                    i += 1;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    quote = Some(ch);
                    blank_ok = true;
                }
                if ch == escape {
                    if i + 1 == chars.len() {
                        i += 1;
                        continue;
                    }
                    word.push(ch);
                    i += 1;
                }
                word.push(chars[i]);
                i += 1;
            }
            Some(q) => {
                if ch == q {
                    quote = None;
                }
                if ch == escape && q != '\'' {
                    if i + 1 == chars.len() {
                        quote = None;
                        i += 1;
                        continue;
                    }
                    word.push(ch);
                    i += 1;
                }
                word.push(chars[i]);
                i += 1;
            }
        }
    }
    if in_word && (blank_ok || !word.is_empty()) {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split() {
        assert_eq!(split_ws("a  b\tc", 0), vec!["a", "b", "c"]);
        assert_eq!(split_ws("a  b c", 2), vec!["a", "b c"]);
        assert_eq!(split_ws("a", 2), vec!["a"]);
    }

    #[test]
    fn words() {
        assert_eq!(parse_words(r#"a="b c" d"#, '\\'), vec![r#"a="b c""#, "d"]);
        assert_eq!(parse_words(r"a\ b c\", '\\'), vec![r"a\ b", "c"]);
        assert_eq!(parse_words("'x\\' y", '\\'), vec!["'x\\'", "y"]);
    }
}

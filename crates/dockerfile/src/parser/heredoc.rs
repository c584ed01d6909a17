//! Heredoc words on a RUN/COPY/ADD line (BuildKit's `heredocsFromLine` / `ParseHeredoc`).

use super::Heredoc;

/// Finds the heredoc words of an assembled instruction line, in order. Bodies are empty; the
/// caller reads them from the following lines.
///
/// The line is split into shell words with quotes and `\` escapes kept (always `\`, whatever
/// the escape directive says). A line with an unbalanced quote yields no heredocs, as in
/// BuildKit. A word is a heredoc if it matches `^(\d*)<<(-?)\s*([^<]*)$`. Like BuildKit's lexer,
/// the splitter glues `<<` + blanks + the next word into one word (`<< EOF`); `<<- EOF` stays
/// two words and is not a heredoc.
pub(crate) fn heredocs_from_line(line: &str) -> Vec<Heredoc> {
    let Some(words) = raw_words(line) else {
        return Vec::new();
    };
    let mut docs = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        let digits = word.bytes().take_while(u8::is_ascii_digit).count();
        let Some(after) = word[digits..].strip_prefix("<<") else {
            continue;
        };
        let (chomp, rest) = match after.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, after),
        };
        let rest = rest.trim_start_matches(['\t', '\n', '\u{c}', '\r', ' ']);
        if rest.is_empty() || rest.contains('<') {
            continue;
        }
        let (name, quoted) = unquote(rest);
        docs.push(Heredoc {
            expand: !quoted,
            name,
            content: String::new(),
            chomp,
            file_descriptor: word[..digits].parse().unwrap_or(0),
        });
    }
    docs
}

/// Splits on whitespace outside quotes, keeping quotes and escapes; `None` on an unbalanced quote.
fn raw_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '<' if chars.peek() == Some(&'<') => {
                chars.next();
                word.push_str("<<");
                while let Some(&b) = chars.peek().filter(|b| matches!(b, ' ' | '\t')) {
                    word.push(b);
                    chars.next();
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                continue;
            }
            '\'' => {
                word.push(c);
                loop {
                    let n = chars.next()?;
                    word.push(n);
                    if n == '\'' {
                        break;
                    }
                }
            }
            '"' => {
                word.push(c);
                loop {
                    let n = chars.next()?;
                    word.push(n);
                    if n == '"' {
                        break;
                    }
                    if n == '\\' {
                        word.push(chars.next()?);
                    }
                }
            }
            '\\' => {
                word.push(c);
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            _ => word.push(c),
        }
        in_word = true;
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

/// Removes shell quoting from a (balanced) heredoc delimiter word; also reports whether any
/// quote character acted as a quote (BuildKit compares quote counts with and without quote
/// removal, so `\'` is a literal quote and does not count).
fn unquote(word: &str) -> (String, bool) {
    let mut out = String::new();
    let mut quoted = false;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                quoted = true;
                out.extend(chars.by_ref().take_while(|&n| n != '\''));
            }
            '"' => {
                quoted = true;
                while let Some(n) = chars.next() {
                    match n {
                        '"' => break,
                        '\\' => out.extend(chars.next()),
                        _ => out.push(n),
                    }
                }
            }
            '\\' => out.extend(chars.next()),
            _ => out.push(c),
        }
    }
    (out, quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(line: &str) -> Vec<(String, bool, bool, u32)> {
        heredocs_from_line(line)
            .into_iter()
            .map(|h| (h.name, h.expand, h.chomp, h.file_descriptor))
            .collect()
    }

    #[test]
    fn words() {
        assert_eq!(names("RUN <<EOF"), vec![("EOF".into(), true, false, 0)]);
        assert_eq!(
            names("RUN <<-'E O' x"),
            vec![("E O".into(), false, true, 0)]
        );
        assert_eq!(
            names("RUN 3<<\"A\" <<B"),
            vec![("A".into(), false, false, 3), ("B".into(), true, false, 0)]
        );
        assert_eq!(
            names("RUN cat << EOF"),
            vec![("EOF".into(), true, false, 0)]
        );
        assert_eq!(names("RUN echo '<<EOF'"), vec![]);
        assert_eq!(names("RUN echo \"<<EOF"), vec![]);
        assert_eq!(names("RUN a<<EOF"), vec![]);
        assert_eq!(names("RUN <<eo'f'"), vec![("eof".into(), false, false, 0)]);
        assert_eq!(names("RUN <<eo\\'f"), vec![("eo'f".into(), true, false, 0)]);
        assert_eq!(
            names("RUN <<'e'o\\'f"),
            vec![("eo'f".into(), false, false, 0)]
        );
        assert_eq!(names("RUN << -EOF"), vec![("-EOF".into(), true, false, 0)]);
        assert_eq!(names("RUN 3<< 'E'"), vec![("E".into(), false, false, 3)]);
        assert_eq!(names("RUN <<- EOF"), vec![]);
        assert_eq!(names("RUN << <<EOF"), vec![]);
        assert_eq!(names("RUN <<"), vec![]);
        assert_eq!(names("RUN a<< <<EOF"), vec![]);
        assert_eq!(names("RUN <<$EOF"), vec![("$EOF".into(), true, false, 0)]);
    }
}

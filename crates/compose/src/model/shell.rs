//! Splitting a string `command`/`entrypoint` into words, as compose-go does with
//! go-shellwords: quotes and backslashes as in a POSIX shell, no expansion, no `sh -c`.

/// Splits `s` into words. Errors on an unterminated quote or a trailing backslash.
pub fn split(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') => {}
                    Some(n) => word.push(n),
                    None => return Err(format!("invalid command line string: {s:?}")),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => word.push(n),
                        None => return Err(format!("invalid command line string: {s:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => word.push(n),
                            Some('\n') => {}
                            Some(n) => {
                                word.push('\\');
                                word.push(n);
                            }
                            None => return Err(format!("invalid command line string: {s:?}")),
                        },
                        Some(n) => word.push(n),
                        None => return Err(format!("invalid command line string: {s:?}")),
                    }
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_like_a_shell() {
        let w = |s: &str| split(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(w("npm run dev"), ["npm", "run", "dev"]);
        assert_eq!(w("  a   b  "), ["a", "b"]);
        assert_eq!(
            w(r#"sh -c "echo \"hi\" $$HOME""#),
            ["sh", "-c", r#"echo "hi" $$HOME"#]
        );
        assert_eq!(w("echo 'a b' c\\ d"), ["echo", "a b", "c d"]);
        assert_eq!(w("a'b'\"c\""), ["abc"]);
        assert_eq!(w("x ''"), ["x", ""]);
        assert_eq!(w(r#""a\nb""#), [r"a\nb"]);
        assert!(w("").is_empty());
        assert!(split("echo 'oops").is_err());
        assert!(split("echo \"oops").is_err());
    }
}

//! Parser directives (`# syntax=`, `# escape=`, `# check=`) at the top of the file.

use super::Directive;

/// Scans candidate directive lines until the first line that is not a recognised directive.
#[derive(Debug)]
pub(crate) struct DirectiveScanner {
    done: bool,
    /// Directives seen so far, in order.
    pub(crate) found: Vec<Directive>,
    /// The escape character in effect.
    pub(crate) escape: char,
}

impl DirectiveScanner {
    pub(crate) fn new() -> Self {
        DirectiveScanner {
            done: false,
            found: Vec::new(),
            escape: '\\',
        }
    }

    /// Looks at one physical line (newline and leading whitespace already trimmed).
    /// Returns an error message for a repeated directive or a bad escape value.
    pub(crate) fn line(&mut self, token: &str, line_no: usize) -> Result<(), String> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = match_directive(token) else {
            self.done = true;
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(());
        }
        if self.found.iter().any(|d| d.name == name) {
            return Err(format!("only one {name} parser directive can be used"));
        }
        if name == "escape" {
            self.escape = match value {
                "`" => '`',
                "\\" => '\\',
                _ => {
                    return Err(format!(
                        "invalid escape token '{value}' does not match ` or \\"
                    ))
                }
            };
        }
        self.found.push(Directive {
            name,
            value: value.to_string(),
            line: line_no,
        });
        Ok(())
    }
}

/// Matches `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (Go `\s` is `[\t\n\f\r ]`).
fn match_directive(token: &str) -> Option<(&str, &str)> {
    let is_s = |c: char| matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ');
    let rest = token.strip_prefix('#')?.trim_start_matches(is_s);
    let name_len = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(rest.len(), |(i, _)| i);
    if name_len == 0 {
        return None;
    }
    let (name, after) = rest.split_at(name_len);
    let raw = after.trim_start_matches(is_s).strip_prefix('=')?;
    let value = raw.trim_start_matches(is_s).trim_end_matches(is_s);
    if value.is_empty() {
        // `(.+?)` still needs one character: the regexp gives it the last blank.
        let last = raw.char_indices().last()?.0;
        return Some((name, &raw[last..]));
    }
    Some((name, value))
}

#[cfg(test)]
mod tests {
    use super::match_directive;

    #[test]
    fn directive_regex() {
        assert_eq!(match_directive("# escape=`"), Some(("escape", "`")));
        assert_eq!(
            match_directive("#syntax = a/b:1 "),
            Some(("syntax", "a/b:1"))
        );
        assert_eq!(match_directive("# escape="), None);
        assert_eq!(match_directive("# escape= "), Some(("escape", " ")));
        assert_eq!(match_directive("# 1x=y"), None);
        assert_eq!(match_directive("# a b=c"), None);
    }
}

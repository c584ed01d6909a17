//! `.env` files, with compose-go's dotenv rules: `#` comment lines, optional `export `,
//! `KEY=VALUE` or `KEY: VALUE`, unquoted values cut at ` #` and trimmed, single quotes literal,
//! double quotes with escapes (`\n`, `\r`, `\t`, `\\`, `\"`, `\$`) and multi-line values,
//! `${VAR}` substitution (with defaults) in unquoted and double-quoted values, a bare `KEY`
//! inherited from the environment, a UTF-8 BOM skipped; a bad line is an error naming its
//! line number.

use std::collections::BTreeMap;

use super::template::substitute;

/// Parses `text`. `lookup` answers variables from outside this file (it wins over the file's
/// own earlier values, as in compose-go). Returns the variables in file order.
pub(crate) fn parse(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(String, String)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let chars: Vec<char> = text.chars().collect();
    let mut p = P {
        c: &chars,
        i: 0,
        line: 1,
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    loop {
        if !p.statement_start() {
            break;
        }
        let line = p.line;
        let (key, inherited) = p.key()?;
        if key.contains(' ') {
            return Err(format!("line {line}: key cannot contain a space"));
        }
        let value = if inherited {
            match lookup(&key) {
                Some(v) => v,
                None => continue,
            }
        } else {
            let look = |k: &str| lookup(k).or_else(|| seen.get(k).cloned());
            p.value(&look)?
        };
        seen.insert(key.clone(), value.clone());
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => out.push((key, value)),
        }
    }
    Ok(out)
}

struct P<'a> {
    c: &'a [char],
    i: usize,
    line: usize,
}

/// Blank but not a line break.
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

impl P<'_> {
    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }

    fn bump(&mut self) {
        if self.peek() == Some('\n') {
            self.line += 1;
        }
        self.i += 1;
    }

    /// Skips blank space and comment lines; false at the end of the text.
    fn statement_start(&mut self) -> bool {
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.bump();
            }
            match self.peek() {
                None => return false,
                Some('#') => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                Some(_) => return true,
            }
        }
    }

    /// The key and whether it stands alone (inherited).
    fn key(&mut self) -> Result<(String, bool), String> {
        // `export` followed by blank space is a prefix.
        let rest = &self.c[self.i..];
        if rest.len() > 6
            && rest[..6].iter().collect::<String>() == "export"
            && rest[6].is_whitespace()
        {
            self.i += 6;
            while self.peek().is_some_and(is_space) {
                self.bump();
            }
        }
        let start = self.i;
        loop {
            let Some(c) = self.peek() else {
                let key: String = self.c[start..self.i].iter().collect();
                return Ok((key.trim_end().to_string(), true));
            };
            match c {
                '=' | ':' | '\n' => {
                    let key: String = self.c[start..self.i].iter().collect();
                    self.bump();
                    if c != '\n' {
                        while self.peek().is_some_and(is_space) {
                            self.bump();
                        }
                    }
                    return Ok((key.trim_end().to_string(), c == '\n'));
                }
                c if is_space(c) || c.is_alphanumeric() => self.bump(),
                '_' | '.' | '-' | '[' | ']' => self.bump(),
                c => {
                    let line: String = self.c[start..].iter().take_while(|&&c| c != '\n').collect();
                    return Err(format!(
                        "line {}: unexpected character {:?} in variable name {line:?}",
                        self.line,
                        c.to_string()
                    ));
                }
            }
        }
    }

    fn value(&mut self, look: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
        let quote = self.peek().filter(|&c| c == '"' || c == '\'');
        if let Some(q) = quote {
            // Find the closing quote (one not escaped by a backslash).
            let mut j = self.i + 1;
            let mut escaped = false;
            while j < self.c.len() {
                let c = self.c[j];
                if c == q && !escaped {
                    let inner: String = self.c[self.i + 1..j].iter().collect();
                    let line = self.line;
                    while self.i <= j {
                        self.bump();
                    }
                    return if q == '\'' {
                        Ok(inner)
                    } else {
                        expand(&unescape(&inner), look).map_err(|e| format!("line {line}: {e}"))
                    };
                }
                escaped = !escaped && c == '\\';
                j += 1;
            }
            // Unterminated: read as an unquoted value.
        }
        let line = self.line;
        let start = self.i;
        while self.peek().is_some_and(|c| c != '\n') {
            self.bump();
        }
        let raw: String = self.c[start..self.i].iter().collect();
        let raw = match raw.find(" #") {
            Some(k) => &raw[..k],
            None => raw.as_str(),
        };
        expand(raw.trim_end(), look).map_err(|e| format!("line {line}: {e}"))
    }
}

/// Double-quote escapes; `\$` becomes `$$` so that substitution leaves a literal `$`.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('$') => out.push_str("$$"),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

fn expand(s: &str, look: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut unset = Vec::new();
    substitute(s, look, &mut unset).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(text: &str) -> BTreeMap<String, String> {
        parse(text, &|_| None)
            .expect("parses")
            .into_iter()
            .collect()
    }

    fn one(text: &str) -> String {
        let all = parse(text, &|_| None).expect("parses");
        all.into_iter().next().map(|(_, v)| v).unwrap_or_default()
    }

    #[test]
    fn lines() {
        let cases = [
            ("FOO=bar", "bar"),
            ("FOO =bar", "bar"),
            ("FOO= bar", "bar"),
            ("FOO=\"bar\"", "bar"),
            ("FOO='bar'", "bar"),
            (r#"FOO="escaped\"bar""#, "escaped\"bar"),
            (r#"FOO="'d'""#, "'d'"),
            ("OPTION_A: 1", "1"),
            ("OPTION_A: Foo=bar", "Foo=bar"),
            ("OPTION_A=1:B", "1:B"),
            ("export OPTION_A=2", "2"),
            (r"export OPTION_B='\n'", r"\n"),
            ("export\tOPTION_A=2", "2"),
            ("  export OPTION_A=2", "2"),
            (r#"FOO="bar\nbaz""#, "bar\nbaz"),
            ("FOO.BAR=foobar", "foobar"),
            ("FOO=foobar=", "foobar="),
            ("FOO=bar ", "bar"),
            ("FOO=bar # this is foo", "bar"),
            ("FOO=bar#baz", "bar#baz"),
            (r#"FOO="bar#baz" # comment"#, "bar#baz"),
            ("FOO='bar#baz' # comment", "bar#baz"),
            (r#"FOO="bar\n\ b\az""#, "bar\n baz"),
            (r#"FOO="bar\\\n\ b\az""#, "bar\\\n baz"),
            (r#"FOO="bar\\r\ b\az""#, "bar\\r baz"),
            (r#"="value""#, "value"),
            (r#"KEY=""#, "\""),
            (r#"KEY="value"#, "\"value"),
            (" KEY =value", "value"),
            ("\tKEY=value", "value"),
            ("TEST_URLS=\"a:3333\nb:443\"", "a:3333\nb:443"),
        ];
        for (line, want) in cases {
            assert_eq!(one(line), want, "{line}");
        }
        assert_eq!(
            env("export exportFoo=2")
                .get("exportFoo")
                .map(String::as_str),
            Some("2")
        );
        assert_eq!(
            env("exportFOO=2").get("exportFOO").map(String::as_str),
            Some("2")
        );
        assert_eq!(
            env("export.FOO= 2").get("export.FOO").map(String::as_str),
            Some("2")
        );
        assert!(parse("lol$wut", &|_| None).is_err());
    }

    #[test]
    fn expansion() {
        let e =
            env("FOO=test\nBAR=$FOO\nBAZ=${FOO}bar\nQ=\"quote $FOO\"\nS='quote $FOO'\nU=$NOPE\n");
        assert_eq!(e["BAR"], "test");
        assert_eq!(e["BAZ"], "testbar");
        assert_eq!(e["Q"], "quote test");
        assert_eq!(e["S"], "quote $FOO");
        assert_eq!(e["U"], "");
        assert_eq!(one(r#"FOO="foo\$BAR""#), "foo$BAR");
        assert_eq!(one(r#"FOO="foo\${BAR}""#), "foo${BAR}");
        assert_eq!(
            env("FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"")["BAR"],
            "foo${FOO} test"
        );
        // The outside environment wins over earlier lines.
        let got = parse("A=file\nB=$A\n", &|k| (k == "A").then(|| "os".to_string())).expect("ok");
        assert_eq!(got[1].1, "os");
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("# c\nA=1\nB C=2\n", &|_| None).expect_err("space");
        assert_eq!(e, "line 3: key cannot contain a space");
        let e = parse("A=1\n\nx$y=1\n", &|_| None).expect_err("bad char");
        assert!(e.starts_with("line 3: unexpected character \"$\""), "{e}");
        let e = parse("A=${NOPE:?must be set}\n", &|_| None).expect_err("required");
        assert!(e.contains("required variable NOPE"), "{e}");
    }
}

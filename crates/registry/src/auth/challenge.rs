//! Parsing of HTTP `WWW-Authenticate` headers (RFC 7235) as registries send them:
//!
//! ```text
//! Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"
//! Basic realm="Registry Realm"
//! ```
//!
//! A header may carry several comma-separated challenges; each is a scheme followed by either
//! comma-separated `name=value` parameters (values are tokens or quoted strings with backslash
//! escapes, which may contain commas) or a single token68 blob. Parsing is lenient: anything
//! malformed is skipped up to the next comma, and no input makes it panic.

use std::collections::BTreeMap;

/// One authentication challenge: a scheme and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Challenge {
    /// The auth scheme, lower-cased (`bearer`, `basic`).
    pub scheme: String,
    /// The parameters, keys lower-cased; for a repeated key the first value wins. A token68
    /// blob (`Basic dXNlcg==`) is not a parameter and is not kept.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// The value of parameter `key` (matched case-insensitively), if present.
    pub fn param(&self, key: &str) -> Option<&str> {
        match self.params.get(key) {
            Some(v) => Some(v.as_str()),
            None => self
                .params
                .get(&key.to_ascii_lowercase())
                .map(String::as_str),
        }
    }
}

/// Parses a `WWW-Authenticate` header value into its challenges, in order. Malformed parts
/// are skipped; an empty or entirely malformed header gives an empty list.
pub fn parse(header: &str) -> Vec<Challenge> {
    let mut c = Cursor { s: header, pos: 0 };
    let mut out = Vec::new();
    loop {
        c.skip_ws_and_commas();
        if c.eof() {
            break;
        }
        let scheme = c.token();
        if scheme.is_empty() || !(c.eof() || c.at_ws() || c.at(',')) {
            // Not a scheme (`"x"`, `=y`), or glued to something (`realm="x"` with no scheme).
            c.skip_item();
            continue;
        }
        let mut challenge = Challenge {
            scheme: scheme.to_ascii_lowercase(),
            params: BTreeMap::new(),
        };
        c.skip_ws();
        if !c.skip_token68() {
            parse_params(&mut c, &mut challenge.params);
        }
        out.push(challenge);
    }
    out
}

/// Parses `name=value` parameters up to the end or the start of the next challenge (a token
/// not followed by `=`), leaving the cursor there.
fn parse_params(c: &mut Cursor<'_>, params: &mut BTreeMap<String, String>) {
    loop {
        let save = c.pos;
        c.skip_ws_and_commas();
        if c.eof() {
            return;
        }
        let key = c.token();
        let delimited = c.eof() || c.at_ws() || c.at(',') || c.at('=');
        if key.is_empty() || !delimited {
            c.skip_item();
            continue;
        }
        c.skip_ws();
        if !c.eat('=') {
            // `Basic realm="x"`: the token starts the next challenge.
            c.pos = save;
            return;
        }
        c.skip_ws();
        let value = if c.at('"') {
            c.quoted()
        } else {
            c.bare_value().to_string()
        };
        params.entry(key.to_ascii_lowercase()).or_insert(value);
    }
}

/// A position in the header being parsed. Every delimiter is ASCII, so `pos` always sits on
/// a char boundary.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eof(&self) -> bool {
        self.pos >= self.s.len()
    }

    fn at(&self, ch: char) -> bool {
        self.peek() == Some(ch)
    }

    fn at_ws(&self) -> bool {
        matches!(self.peek(), Some(' ' | '\t' | '\r' | '\n'))
    }

    fn eat(&mut self, ch: char) -> bool {
        if self.at(ch) {
            self.pos += ch.len_utf8();
            true
        } else {
            false
        }
    }

    /// Advances while `pred` holds and returns what was passed over.
    fn take_while(&mut self, pred: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let len = rest.find(|ch: char| !pred(ch)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn skip_ws(&mut self) {
        self.take_while(|ch| matches!(ch, ' ' | '\t' | '\r' | '\n'));
    }

    fn skip_ws_and_commas(&mut self) {
        self.take_while(|ch| matches!(ch, ' ' | '\t' | '\r' | '\n' | ','));
    }

    /// An RFC 7230 token (possibly empty).
    fn token(&mut self) -> &'a str {
        self.take_while(is_tchar)
    }

    /// A parameter value that is not quoted: everything up to whitespace or a comma (more
    /// lenient than a token, as some servers send unquoted URLs).
    fn bare_value(&mut self) -> &'a str {
        self.take_while(|ch| !matches!(ch, ' ' | '\t' | '\r' | '\n' | ','))
    }

    /// A quoted string starting at the opening quote, with backslash escapes removed. An
    /// unterminated string runs to the end of the header.
    fn quoted(&mut self) -> String {
        let mut out = String::new();
        self.eat('"');
        let mut chars = self.rest().char_indices();
        let start = self.pos;
        while let Some((i, ch)) = chars.next() {
            match ch {
                '"' => {
                    self.pos = start + i + 1;
                    return out;
                }
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        out.push(escaped);
                    }
                }
                other => out.push(other),
            }
        }
        self.pos = self.s.len();
        out
    }

    /// If a token68 blob (`abc+/=`) followed by the end or a comma is next, skips it.
    fn skip_token68(&mut self) -> bool {
        let save = self.pos;
        let blob = self.take_while(|ch| ch.is_ascii_alphanumeric() || "-._~+/".contains(ch));
        if !blob.is_empty() {
            self.take_while(|ch| ch == '=');
            self.skip_ws();
            if self.eof() || self.at(',') {
                return true;
            }
        }
        self.pos = save;
        false
    }

    /// Skips a malformed item: up to the next comma outside a quoted string (or the end).
    fn skip_item(&mut self) {
        while let Some(ch) = self.peek() {
            match ch {
                ',' => return,
                '"' => {
                    self.quoted();
                }
                other => self.pos += other.len_utf8(),
            }
        }
    }
}

/// Whether `ch` may appear in an RFC 7230 token.
fn is_tchar(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(ch)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn docker_hub_bearer() {
        let h = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#;
        let c = parse(h);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c[0].param("service"), Some("registry.docker.io"));
        assert_eq!(c[0].param("scope"), Some("repository:library/busybox:pull"));
        assert_eq!(c[0].param("SCOPE"), c[0].param("scope"));
        assert_eq!(c[0].param("error"), None);
    }

    #[test]
    fn distribution_basic() {
        let c = parse(r#"Basic realm="Registry Realm""#);
        assert_eq!(
            c,
            vec![Challenge {
                scheme: "basic".into(),
                params: params(&[("realm", "Registry Realm")]),
            }]
        );
    }

    #[test]
    fn commas_inside_quotes_and_escapes() {
        let c = parse(
            r#"Bearer realm="https://r/token",scope="repository:a/b:pull,push",error="insufficient_scope",detail="say \"hi\" \\ bye""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].param("scope"), Some("repository:a/b:pull,push"));
        assert_eq!(c[0].param("error"), Some("insufficient_scope"));
        assert_eq!(c[0].param("detail"), Some(r#"say "hi" \ bye"#));
    }

    #[test]
    fn several_challenges_and_whitespace() {
        let c = parse(
            "  Newauth realm=\"apps\", type=1 ,\ttitle=\"Login to \\\"apps\\\"\", BASIC  Realm = simple ,Bearer",
        );
        let schemes: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["newauth", "basic", "bearer"]);
        assert_eq!(
            c[0].params,
            params(&[
                ("realm", "apps"),
                ("type", "1"),
                ("title", "Login to \"apps\"")
            ])
        );
        assert_eq!(c[1].param("realm"), Some("simple"));
        assert!(c[2].params.is_empty());
    }

    #[test]
    fn token68_forms() {
        let c = parse("Basic dXNlcjpwYXNz==, Bearer realm=\"x\", Negotiate abc+/def");
        let schemes: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["basic", "bearer", "negotiate"]);
        assert!(c[0].params.is_empty());
        assert_eq!(c[1].param("realm"), Some("x"));
        assert!(c[2].params.is_empty());
    }

    #[test]
    fn first_value_wins_and_unquoted_urls() {
        let c = parse("Bearer realm=https://a/token?x=1, realm=\"second\"");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].param("realm"), Some("https://a/token?x=1"));
    }

    #[test]
    fn junk() {
        assert!(parse("").is_empty());
        assert!(parse(" , ,, \t").is_empty());
        assert!(parse("\"unterminated").is_empty());
        assert!(parse("=foo, realm=\"x\"").is_empty());
        // Unterminated quoted value runs to the end.
        let c = parse("Bearer realm=\"abc, service=x");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].param("realm"), Some("abc, service=x"));
        // Trailing backslash, non-ASCII, control characters.
        let c = parse("Bearer realm=\"a\\");
        assert_eq!(c[0].param("realm"), Some("a"));
        let c = parse("Bearer réalm=\"ü\", x=\"ß\"");
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].param("x"), Some("ß"));
        let c = parse("Basic realm=\"x\"junk\u{0}\u{7f} more");
        assert_eq!(c[0].param("realm"), Some("x"));
    }

    #[test]
    fn never_panics_on_any_prefix_or_byte_soup() {
        let samples = [
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#,
            "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"",
            "ä=\"\\ö\",,==\"\" Basic ===, x y z=\\\"",
        ];
        for s in samples {
            for (i, _) in s.char_indices() {
                let _ = parse(&s[..i]);
                let _ = parse(&s[i..]);
            }
        }
        let alphabet = ['a', ' ', ',', '=', '"', '\\', '\t', 'é', '/', '+'];
        let mut state: u32 = 12345;
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..24 {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                s.push(alphabet[(state >> 16) as usize % alphabet.len()]);
            }
            let _ = parse(&s);
        }
    }
}

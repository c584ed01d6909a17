//! Just enough of RFC 3986 for `ADD <url>`: parse an `http(s)://` URL into what an HTTP/1.1
//! request needs, and resolve a redirect's `Location` against it.

use std::fmt;
use std::net::Ipv6Addr;

use super::error::FetchError;

/// The two schemes `ADD` downloads from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// Plain HTTP, default port 80.
    Http,
    /// HTTP over TLS, default port 443.
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A parsed `http://` or `https://` URL, fragment dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Host name or IP literal, lower-cased, IPv6 without brackets.
    pub host: String,
    /// Explicit port or the scheme's default.
    pub port: u16,
    /// Path as written (percent-encoded), always starting with `/`.
    pub path: String,
    /// Query including the leading `?`, or empty.
    pub query: String,
}

impl Url {
    /// Parses an absolute `http://` / `https://` URL (scheme case-insensitive).
    pub fn parse(input: &str) -> Result<Url, FetchError> {
        let invalid = |reason: &str| FetchError::InvalidUrl {
            url: input.to_string(),
            reason: reason.to_string(),
        };
        let (scheme_str, rest) = input
            .split_once("://")
            .ok_or_else(|| invalid("not an absolute URL"))?;
        let scheme = if scheme_str.eq_ignore_ascii_case("http") {
            Scheme::Http
        } else if scheme_str.eq_ignore_ascii_case("https") {
            Scheme::Https
        } else {
            return Err(invalid("only http:// and https:// URLs can be downloaded"));
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, target) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(invalid("credentials in URLs are not supported"));
        }
        let (host, port) = split_host_port(authority).map_err(invalid)?;
        let port = match port {
            None | Some("") => scheme.default_port(),
            Some(p) => p.parse::<u16>().map_err(|_| invalid("invalid port"))?,
        };
        let (path, query) = match target.find('?') {
            Some(i) => target.split_at(i),
            None => (target, ""),
        };
        let path = if path.is_empty() { "/" } else { path };
        Ok(Url {
            scheme,
            host,
            port,
            path: encode_unsafe(path),
            query: encode_unsafe(query),
        })
    }

    /// Whether the host is an IPv6 literal (bracketed in URLs and Host headers).
    fn is_ipv6(&self) -> bool {
        self.host.contains(':')
    }

    /// `host[:port]` as sent in the `Host` header (port only when not the default).
    pub fn authority(&self) -> String {
        let host = if self.is_ipv6() {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The request target: path and query.
    pub fn target(&self) -> String {
        format!("{}{}", self.path, self.query)
    }

    /// Resolves a redirect's `Location` header value against this URL.
    pub fn join(&self, location: &str) -> Result<Url, FetchError> {
        let location = location.trim();
        let location = location.split('#').next().unwrap_or_default();
        if has_scheme(location) {
            return Url::parse(location);
        }
        if location.starts_with("//") {
            return Url::parse(&format!("{}:{location}", self.scheme.as_str()));
        }
        let (path, query) = match location.find('?') {
            Some(i) => location.split_at(i),
            None => (location, ""),
        };
        let path = if path.is_empty() {
            self.path.clone()
        } else if path.starts_with('/') {
            remove_dot_segments(path)
        } else {
            let dir = &self.path[..=self.path.rfind('/').unwrap_or(0)];
            remove_dot_segments(&format!("{dir}{path}"))
        };
        let query = if location.is_empty() {
            self.query.clone()
        } else {
            query.to_string()
        };
        Ok(Url {
            path: encode_unsafe(&path),
            query: encode_unsafe(&query),
            ..self.clone()
        })
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority(),
            self.target()
        )
    }
}

/// Splits `host[:port]` or `[v6]:port`; validates the host.
fn split_host_port(authority: &str) -> Result<(String, Option<&str>), &'static str> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or("unclosed '[' in host")?;
        v6.parse::<Ipv6Addr>()
            .map_err(|_| "invalid IPv6 address literal")?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("junk after IPv6 address")?),
        };
        (v6.to_string(), port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (authority.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err("missing host");
    }
    let bad = |c: char| c.is_ascii_control() || c.is_whitespace() || "/?#@[]\\\"<>".contains(c);
    if !authority.starts_with('[') && host.chars().any(bad) {
        return Err("invalid character in host");
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// Whether a reference starts with `scheme:` (RFC 3986 section 3.1).
fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i > 0 => {
            let scheme = &s[..i];
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        _ => false,
    }
}

/// RFC 3986 section 5.2.4 on an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                out.pop();
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

/// Percent-encodes bytes that may not appear raw in a request line (spaces, controls,
/// non-ASCII); everything else, including existing `%XX` escapes, is kept as written.
fn encode_unsafe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b <= b' ' || b >= 0x7f {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// Decodes `%XX` escapes (invalid ones are kept literally); lossy on invalid UTF-8.
pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ports_queries_and_ipv6() {
        let u = Url::parse("http://Example.com:8080/a/b.tar.gz?x=1&y=2#frag").unwrap();
        assert_eq!(u.host, "example.com");
        assert_eq!(u.port, 8080);
        assert_eq!(u.target(), "/a/b.tar.gz?x=1&y=2");
        assert_eq!(u.authority(), "example.com:8080");

        let u = Url::parse("https://[::1]:8443?q").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 8443));
        assert_eq!(u.target(), "/?q");
        assert_eq!(u.to_string(), "https://[::1]:8443/?q");

        let u = Url::parse("https://host").unwrap();
        assert_eq!(
            (u.port, u.authority(), u.target()),
            (443, "host".into(), "/".into())
        );
        assert_eq!(Url::parse("http://h/a b").unwrap().path, "/a%20b");
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "ftp://h/x",
            "h/x",
            "http:///x",
            "http://h:99999/",
            "http://u:p@h/",
            "http://[::1/",
            "http://[zz]/",
            "http://h\r\nX: y/",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn joins_locations() {
        let base = Url::parse("http://h:81/a/b/c?q=1").unwrap();
        let j = |l: &str| base.join(l).unwrap().to_string();
        assert_eq!(j("https://other/x"), "https://other/x");
        assert_eq!(j("//other/y"), "http://other/y");
        assert_eq!(j("/z?k"), "http://h:81/z?k");
        assert_eq!(j("d"), "http://h:81/a/b/d");
        assert_eq!(j("../d"), "http://h:81/a/d");
        assert_eq!(j("./"), "http://h:81/a/b/");
        assert_eq!(j("?n"), "http://h:81/a/b/c?n");
        assert_eq!(j(""), "http://h:81/a/b/c?q=1");
        assert!(base.join("ftp://x/").is_err());
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b%2Fc%zz%4"), "a b/c%zz%4");
    }
}

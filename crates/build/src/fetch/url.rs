//! Turning an `ADD` source into the [`Uri`] the HTTP client requests: bytes that may not
//! appear raw in a request target are percent-encoded first (as Go's client, and so BuildKit,
//! does), the fragment is dropped, and only `http://` / `https://` URLs with a host and no
//! credentials are accepted. Parsing itself is the `http` crate's.

use std::net::Ipv6Addr;

use ureq::http::Uri;

use super::error::FetchError;

/// Parses an absolute `http://` / `https://` URL (scheme case-insensitive).
pub(crate) fn parse(input: &str) -> Result<Uri, FetchError> {
    let invalid = |reason: &str| FetchError::InvalidUrl {
        url: input.to_string(),
        reason: reason.to_string(),
    };
    let without_fragment = input.split('#').next().unwrap_or_default();
    let (scheme, rest) = without_fragment
        .split_once("://")
        .ok_or_else(|| invalid("not an absolute URL"))?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(invalid("only http:// and https:// URLs can be downloaded"));
    }
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, target) = rest.split_at(authority_end);
    if authority.contains('@') {
        return Err(invalid("credentials in URLs are not supported"));
    }
    let text = format!("{scheme}://{authority}{}", encode_unsafe(target));
    let uri: Uri = text.parse().map_err(|e| invalid(&format!("{e}")))?;
    let host = uri.host().unwrap_or_default();
    if host.is_empty() {
        return Err(invalid("missing host"));
    }
    if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        v6.parse::<Ipv6Addr>()
            .map_err(|_| invalid("invalid IPv6 address literal"))?;
    }
    // The `http` crate keeps a port it cannot represent and reports none; refuse it rather
    // than fall back to the scheme's default port.
    if port_text(authority).is_some_and(|p| !p.is_empty() && p.parse::<u16>().is_err()) {
        return Err(invalid("invalid port"));
    }
    Ok(uri)
}

/// The text after the host's `:` in `host:port` or `[v6]:port`, if any.
fn port_text(authority: &str) -> Option<&str> {
    let host_end = if authority.starts_with('[') {
        authority.find(']').map_or(authority.len(), |i| i + 1)
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    authority[host_end..].strip_prefix(':')
}

/// Percent-encodes the bytes of a path and query that RFC 3986 does not allow there (spaces,
/// controls, non-ASCII, `"<>\^`{|}`); everything else, including existing `%XX` escapes, is
/// kept as written.
fn encode_unsafe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b <= b' ' || b >= 0x7f || b"\"<>\\^`{|}".contains(&b) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
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
        let u = parse("HTTP://Example.com:8080/a/b.tar.gz?x=1&y=2#frag").unwrap();
        assert_eq!(u.scheme_str(), Some("http"));
        // Host names are kept as written (DNS and the Host header ignore case).
        assert_eq!(u.host(), Some("Example.com"));
        assert_eq!(u.port_u16(), Some(8080));
        assert_eq!(u.path(), "/a/b.tar.gz");
        assert_eq!(u.query(), Some("x=1&y=2"));

        let u = parse("https://[::1]:8443?q").unwrap();
        assert_eq!((u.host(), u.port_u16()), (Some("[::1]"), Some(8443)));
        assert_eq!(u.query(), Some("q"));

        let u = parse("https://host").unwrap();
        assert_eq!((u.host(), u.port_u16()), (Some("host"), None));
        assert_eq!(parse("http://h/a b").unwrap().path(), "/a%20b");
        assert_eq!(parse("http://h/{x}").unwrap().path(), "/%7Bx%7D");
        assert_eq!(parse("http://h/ü").unwrap().path(), "/%C3%BC");
        assert_eq!(parse("http://h/a%2Fb").unwrap().path(), "/a%2Fb");
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "ftp://h/x",
            "h/x",
            "http:///x",
            "http://h:99999/",
            "http://h:8x/",
            "http://[::1]:70000/",
            "http://u:p@h/",
            "http://[::1/",
            "http://[zz]/",
            "http://h\r\nX: y/",
            "http://h h/",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(percent_decode("a%20b%2Fc%zz%4"), "a b/c%zz%4");
    }
}

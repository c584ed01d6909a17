//! The file name `ADD <url>` gives a download: `Content-Disposition: …; filename=…` when the
//! server sends one, else the last segment of the final URL's path, else `download`.

use ureq::http::Uri;

use super::url::percent_decode;

/// The name used when neither the response nor the URL yields one.
pub(crate) const DEFAULT_NAME: &str = "download";

/// Picks the file name for a download from `Content-Disposition` and the final URL.
pub(crate) fn file_name(content_disposition: Option<&str>, url: &Uri) -> String {
    content_disposition
        .and_then(disposition_filename)
        .and_then(|n| base_name(&n))
        .or_else(|| base_name(&percent_decode(url.path())))
        .unwrap_or_else(|| DEFAULT_NAME.to_string())
}

/// The last `/`-separated component, unless it is empty, `.`, `..` or holds a NUL byte
/// (none of which could name a file inside the destination directory).
fn base_name(path: &str) -> Option<String> {
    if path.ends_with('/') {
        return None;
    }
    let base = path.rsplit('/').next().unwrap_or_default();
    match base {
        "" | "." | ".." => None,
        b if b.contains('\0') => None,
        b => Some(b.to_string()),
    }
}

/// The `filename` parameter of a `Content-Disposition` value (RFC 6266). `filename*`
/// (RFC 5987 `charset'lang'pct-encoded`) wins over `filename`, as in Go's `mime` package.
fn disposition_filename(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for (name, val) in parameters(value) {
        if name.eq_ignore_ascii_case("filename") {
            plain = Some(val);
        } else if name.eq_ignore_ascii_case("filename*") {
            let mut parts = val.splitn(3, '\'');
            let (charset, _lang, encoded) = (parts.next()?, parts.next()?, parts.next()?);
            if charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii") {
                extended = Some(percent_decode(encoded));
            }
        }
    }
    extended.or(plain).filter(|n| !n.is_empty())
}

/// `type; name=value; name="quoted \" value"` -> the `(name, value)` pairs after the type.
fn parameters(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the disposition type.
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        while chars.next_if(|c| c.is_whitespace() || *c == ';').is_some() {}
        let mut name = String::new();
        while let Some(c) = chars.next_if(|c| *c != '=' && *c != ';') {
            name.push(c);
        }
        if chars.next() != Some('=') {
            if chars.peek().is_none() {
                return out;
            }
            continue;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut val = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => val.extend(chars.next()),
                    '"' => break,
                    c => val.push(c),
                }
            }
            // Drop anything between the closing quote and the next ';'.
            while chars.next_if(|c| *c != ';').is_some() {}
        } else {
            while let Some(c) = chars.next_if(|c| *c != ';') {
                val.push(c);
            }
            val = val.trim_end().to_string();
        }
        out.push((name.trim().to_string(), val));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(cd: Option<&str>, url: &str) -> String {
        file_name(cd, &super::super::url::parse(url).unwrap())
    }

    #[test]
    fn from_url() {
        assert_eq!(name(None, "http://h/a/b.tar.gz?x=1"), "b.tar.gz");
        assert_eq!(name(None, "http://h/a%20b"), "a b");
        assert_eq!(name(None, "http://h/x%2Fy"), "y");
        assert_eq!(name(None, "http://h/"), "download");
        assert_eq!(name(None, "http://h"), "download");
        assert_eq!(name(None, "http://h/dir/"), "download");
        assert_eq!(name(None, "http://h/.."), "download");
        assert_eq!(name(None, "http://h/%00"), "download");
    }

    #[test]
    fn from_content_disposition() {
        let url = "http://h/path/ignored.bin";
        assert_eq!(name(Some("attachment; filename=app.tgz"), url), "app.tgz");
        assert_eq!(
            name(
                Some(r#"attachment; filename="my \"file\".txt"; size=3"#),
                url
            ),
            "my \"file\".txt"
        );
        assert_eq!(
            name(
                Some("attachment; filename=\"fallback\"; filename*=UTF-8''na%C3%AFve.txt"),
                url
            ),
            "naïve.txt"
        );
        assert_eq!(name(Some("inline; FileName = x.sh "), url), "x.sh");
        assert_eq!(
            name(Some("attachment; filename=\"../../etc/passwd\""), url),
            "passwd"
        );
        assert_eq!(
            name(Some("attachment; filename=\"dir/\""), url),
            "ignored.bin"
        );
        assert_eq!(
            name(Some("attachment; filename=\"..\""), url),
            "ignored.bin"
        );
        assert_eq!(name(Some("attachment"), url), "ignored.bin");
        assert_eq!(name(Some("attachment; foo; filename=b"), url), "b");
    }
}

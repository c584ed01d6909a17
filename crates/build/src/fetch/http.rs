//! One HTTP/1.1 `GET`: write the request, read the status line and headers, and pick the
//! body framing (RFC 9112 section 6.3).

use std::io::{BufRead, BufReader, Read, Write};

use super::body::{Body, Framing};
use super::conn::{self, Conn};
use super::error::FetchError;
use super::url::Url;

/// Longest status line or header line accepted.
const MAX_LINE: u64 = 16 * 1024;
/// Most header lines accepted in one response.
const MAX_HEADERS: usize = 200;

/// A response whose head has been read; the body is still on the wire.
pub(crate) struct Response {
    /// The numeric status code.
    pub status: u16,
    /// The status line as sent, e.g. `HTTP/1.1 404 Not Found`.
    pub status_line: String,
    /// Header fields in order, names as sent.
    headers: Vec<(String, String)>,
    /// The body reader.
    pub body: Body,
}

impl Response {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `GET url` on a new connection and reads the response head.
pub(crate) fn get(url: &Url) -> Result<Response, FetchError> {
    let mut conn = conn::connect(url)?;
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: berth\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.target(),
        url.authority()
    );
    conn.write_all(request.as_bytes())
        .and_then(|()| conn.flush())
        .map_err(|source| FetchError::Io {
            url: url.to_string(),
            context: "sending the request",
            source,
        })?;
    let mut reader = BufReader::with_capacity(64 * 1024, conn);
    loop {
        let (status, status_line, headers) = read_head(&mut reader, url)?;
        // 1xx interim responses (100 Continue, 103 Early Hints) precede the real one.
        if (100..200).contains(&status) && status != 101 {
            continue;
        }
        let framing = framing(status, &headers, url)?;
        return Ok(Response {
            status,
            status_line,
            headers,
            body: Body::new(reader, framing, url.to_string()),
        });
    }
}

type Head = (u16, String, Vec<(String, String)>);

/// Reads a status line and header fields up to the blank line.
fn read_head(reader: &mut BufReader<Conn>, url: &Url) -> Result<Head, FetchError> {
    let protocol = |reason: String| FetchError::Protocol {
        url: url.to_string(),
        reason,
    };
    let status_line = read_line(reader, url)?
        .ok_or_else(|| protocol("connection closed before a response".to_string()))?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") || code.len() != 3 {
        return Err(protocol(format!("bad status line {status_line:?}")));
    }
    let status: u16 = code
        .parse()
        .map_err(|_| protocol(format!("bad status line {status_line:?}")))?;
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let line = read_line(reader, url)?
            .ok_or_else(|| protocol("connection closed inside the headers".to_string()))?;
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            // Obsolete line folding: continues the previous field's value.
            let last = headers
                .last_mut()
                .ok_or_else(|| protocol("header continuation without a header".to_string()))?;
            last.1.push(' ');
            last.1.push_str(line.trim());
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| protocol(format!("bad header line {line:?}")))?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
        if headers.len() > MAX_HEADERS {
            return Err(protocol(format!("more than {MAX_HEADERS} header fields")));
        }
    }
    Ok((status, status_line, headers))
}

/// Reads one CRLF- (or LF-) terminated line without its terminator; `None` at EOF.
pub(crate) fn read_line<R: BufRead>(
    reader: &mut R,
    url: &Url,
) -> Result<Option<String>, FetchError> {
    read_line_str(reader, &url.to_string())
}

/// [`read_line`] for callers that only have the URL as a string.
pub(crate) fn read_line_str<R: BufRead>(
    reader: &mut R,
    url: &str,
) -> Result<Option<String>, FetchError> {
    let mut buf = Vec::new();
    let n = reader
        .take(MAX_LINE + 1)
        .read_until(b'\n', &mut buf)
        .map_err(|source| FetchError::Io {
            url: url.to_string(),
            context: "reading the response",
            source,
        })?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() != Some(&b'\n') {
        let reason = if n as u64 > MAX_LINE {
            format!("line longer than {MAX_LINE} bytes")
        } else {
            "connection closed mid-line".to_string()
        };
        return Err(FetchError::Protocol {
            url: url.to_string(),
            reason,
        });
    }
    buf.pop();
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    Ok(Some(String::from_utf8_lossy(&buf).into_owned()))
}

/// How the body of a response with `status` and `headers` is delimited.
fn framing(status: u16, headers: &[(String, String)], url: &Url) -> Result<Framing, FetchError> {
    if status == 204 || status == 304 {
        return Ok(Framing::Length(0));
    }
    if let Some(last) = header_values(headers, "transfer-encoding").last() {
        return Ok(if last.eq_ignore_ascii_case("chunked") {
            Framing::Chunked
        } else {
            Framing::UntilClose
        });
    }
    let mut length = None;
    for v in header_values(headers, "content-length") {
        let n: u64 = v.parse().map_err(|_| FetchError::Protocol {
            url: url.to_string(),
            reason: format!("bad Content-Length {v:?}"),
        })?;
        if length.is_some_and(|l| l != n) {
            return Err(FetchError::Protocol {
                url: url.to_string(),
                reason: "conflicting Content-Length values".to_string(),
            });
        }
        length = Some(n);
    }
    Ok(length.map_or(Framing::UntilClose, Framing::Length))
}

/// The comma-separated values of every `name` field, in order.
fn header_values<'a>(
    headers: &'a [(String, String)],
    name: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
}

//! [`fetch`]: one `GET` through berth's shared HTTP client (which follows redirects), check
//! the status, stream the body to a file, verify it.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use berth_registry::http::{agent_for, HostTls};
use ureq::http::{header, Response, Uri};
use ureq::{Body, ResponseExt};

use super::checksum::parse_sha256;
use super::date::parse_http_date;
use super::error::FetchError;
use super::name::file_name;
use super::partial::Partial;
use super::url;

/// Most redirects followed before giving up (BuildKit, like Go's client, stops after 10).
pub const MAX_REDIRECTS: usize = 10;

/// A downloaded `ADD` source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The file written in the destination directory (`dest_dir/file_name`), mode 0600, its
    /// modification time set from `Last-Modified` when the server sent one.
    pub path: PathBuf,
    /// The name `ADD` gives the file when the destination is a directory.
    pub file_name: String,
    /// `sha256:<hex>` of the content.
    pub digest: String,
    /// Unix seconds from the `Last-Modified` header, when present and valid.
    pub last_modified: Option<i64>,
}

/// Downloads `url` (`http://` or `https://`) into `dest_dir`, which must exist.
///
/// The file name is what BuildKit uses: the `filename` of a `Content-Disposition` header when
/// present, else the last path segment of the final URL (after redirects), else `download`.
/// An existing file of that name is replaced. With `checksum` (`sha256:<hex>`; any other
/// algorithm is an [`FetchError::UnsupportedChecksum`] error), a mismatch is an error naming
/// both digests. Up to [`MAX_REDIRECTS`] redirects are followed; a non-2xx final status is an
/// error with the status line and URL; a body over `max_bytes` is an error. On any error
/// nothing is left in `dest_dir`.
pub fn fetch(
    url: &str,
    dest_dir: &Path,
    checksum: Option<&str>,
    max_bytes: Option<u64>,
) -> Result<Fetched, FetchError> {
    let expected = checksum.map(parse_sha256).transpose()?;
    let uri = url::parse(url)?;
    let response = get(&uri)?;
    let final_uri = response.get_uri().clone();
    let final_url = final_uri.to_string();
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status {
            url: final_url,
            status: status.as_u16(),
            status_line: status_line(&response),
        });
    }
    let too_large = || FetchError::TooLarge {
        url: final_url.clone(),
        limit: max_bytes.unwrap_or_default(),
    };
    let content_length = response.body().content_length();
    if let (Some(limit), Some(len)) = (max_bytes, content_length) {
        if len > limit {
            return Err(too_large());
        }
    }
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
    let name = file_name(header(header::CONTENT_DISPOSITION), &final_uri);
    let last_modified = header(header::LAST_MODIFIED).and_then(parse_http_date);

    let mut partial = Partial::create(dest_dir)?;
    let mut body = response.into_body().into_reader();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match body.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(body_error(&final_uri, e, partial.len(), content_length));
            }
        };
        if n == 0 {
            break;
        }
        if max_bytes.is_some_and(|limit| partial.len() + n as u64 > limit) {
            return Err(too_large());
        }
        partial.write(&buf[..n])?;
    }
    let digest = partial.digest();
    if let Some(expected) = expected {
        if expected != digest {
            return Err(FetchError::ChecksumMismatch {
                url: final_url,
                expected,
                actual: digest,
            });
        }
    }
    let path = dest_dir.join(&name);
    partial.persist(&path, last_modified)?;
    Ok(Fetched {
        path,
        file_name: name,
        digest,
        last_modified,
    })
}

/// `GET uri` through berth's HTTP client, following up to [`MAX_REDIRECTS`] redirects; any
/// final status comes back as a response.
fn get(uri: &Uri) -> Result<Response<Body>, FetchError> {
    // MAX_REDIRECTS is a small constant: the conversion cannot fail.
    let max_redirects = u32::try_from(MAX_REDIRECTS).unwrap_or(u32::MAX);
    let agent = agent_for(&HostTls::default(), max_redirects).map_err(|e| FetchError::Tls {
        url: uri.to_string(),
        reason: e.to_string(),
    })?;
    agent
        .get(uri.clone())
        .call()
        .map_err(|e| FetchError::from_ureq(uri, "sending the request", e))
}

/// `HTTP/1.1 404 Not Found`: the version, code and standard reason phrase of a response (the
/// client does not keep the phrase the server sent).
fn status_line(response: &Response<Body>) -> String {
    let status = response.status();
    match status.canonical_reason() {
        Some(reason) => format!("{:?} {} {reason}", response.version(), status.as_u16()),
        None => format!("{:?} {}", response.version(), status.as_u16()),
    }
}

/// The error for a failed body read after `received` bytes: a connection closed before the
/// announced `Content-Length` is [`FetchError::Truncated`].
fn body_error(uri: &Uri, e: io::Error, received: u64, expected: Option<u64>) -> FetchError {
    match (e.kind(), expected) {
        (io::ErrorKind::UnexpectedEof, Some(expected)) if received < expected => {
            FetchError::Truncated {
                url: uri.to_string(),
                received,
                expected,
            }
        }
        _ => FetchError::from_ureq(uri, "reading the body", ureq::Error::from(e)),
    }
}

//! [`fetch`]: follow redirects, check the status, stream the body to a file, verify it.

use std::path::{Path, PathBuf};

use super::checksum::parse_sha256;
use super::date::parse_http_date;
use super::error::FetchError;
use super::http::{self, Response};
use super::name::file_name;
use super::partial::Partial;
use super::url::Url;

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
    let (final_url, mut response) = get_following_redirects(url)?;
    if !(200..300).contains(&response.status) {
        return Err(FetchError::Status {
            url: final_url.to_string(),
            status: response.status,
            status_line: response.status_line,
        });
    }
    let too_large = || FetchError::TooLarge {
        url: final_url.to_string(),
        limit: max_bytes.unwrap_or_default(),
    };
    if let (Some(limit), Some(len)) = (max_bytes, response.body.content_length()) {
        if len > limit {
            return Err(too_large());
        }
    }
    let name = file_name(response.header("content-disposition"), &final_url);
    let last_modified = response.header("last-modified").and_then(parse_http_date);

    let mut partial = Partial::create(dest_dir)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = response.body.read_chunk(&mut buf)?;
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
                url: final_url.to_string(),
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

/// `GET url`, following up to [`MAX_REDIRECTS`] redirects; returns the URL that answered.
fn get_following_redirects(url: &str) -> Result<(Url, Response), FetchError> {
    let mut current = Url::parse(url)?;
    let mut redirects = 0;
    loop {
        let response = http::get(&current)?;
        let location = match response.status {
            301 | 302 | 303 | 307 | 308 => response.header("location"),
            _ => None,
        };
        let Some(location) = location else {
            return Ok((current, response));
        };
        if redirects == MAX_REDIRECTS {
            return Err(FetchError::TooManyRedirects {
                url: url.to_string(),
                limit: MAX_REDIRECTS,
            });
        }
        redirects += 1;
        current = current.join(location)?;
    }
}

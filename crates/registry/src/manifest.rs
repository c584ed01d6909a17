//! Manifests as registries serve them: what berth accepts (OCI manifest and index, Docker
//! schema 2 manifest and manifest list), the refusal of schema 1, size limits, and digest
//! checks. Tags are resolved with `HEAD` where the registry allows it (Docker Hub counts
//! `GET`s against pull limits).

use berth_store::oci::{self, Index, Manifest};
use berth_store::Digest;

use crate::auth::Scope;
use crate::client::{registry_error, Body, Registry};
use crate::error::{Error, Result};

/// Largest manifest or index accepted (containerd's limit).
pub const MAX_MANIFEST: u64 = 4 << 20;
/// Largest image configuration accepted.
pub const MAX_CONFIG: u64 = 8 << 20;

/// The `Accept` header of manifest requests.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

const SCHEMA1: [&str; 3] = [
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/json",
];

/// A manifest or index fetched from a registry, digest-checked.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The digest of `bytes`.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
    /// The document as the registry sent it.
    pub bytes: Vec<u8>,
}

/// What a fetched document is.
#[derive(Debug, Clone)]
pub enum Document {
    /// An index or manifest list: one manifest per platform.
    Index(Index),
    /// An image manifest.
    Manifest(Manifest),
}

/// What a tag or digest resolves to, from a `HEAD`.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The manifest's digest.
    pub digest: Digest,
    /// Its media type.
    pub media_type: String,
}

/// Whether `media_type` is an index or manifest list.
pub fn is_index(media_type: &str) -> bool {
    media_type == oci::MEDIA_INDEX || media_type == oci::MEDIA_DOCKER_LIST
}

/// Whether `media_type` is an image manifest berth can pull.
pub fn is_manifest(media_type: &str) -> bool {
    media_type == oci::MEDIA_MANIFEST || media_type == oci::MEDIA_DOCKER_MANIFEST
}

impl Fetched {
    /// Parses the document, refusing schema 1 and unknown kinds with a clear message.
    pub fn parse(&self, what: &str) -> Result<Document> {
        parse(&self.media_type, &self.bytes, what)
    }
}

/// Parses a manifest or index of `media_type` (the `Content-Type` it came with; the
/// document's own `mediaType` decides when that is missing or generic).
pub fn parse(media_type: &str, bytes: &[u8], what: &str) -> Result<Document> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| Error::BadManifest(format!("the manifest of {what} is not JSON: {e}")))?;
    let inner = value
        .get("mediaType")
        .and_then(|m| m.as_str())
        .unwrap_or("");
    let schema = value.get("schemaVersion").and_then(|v| v.as_u64());
    if schema == Some(1) || SCHEMA1[..2].contains(&media_type) || SCHEMA1[..2].contains(&inner) {
        return Err(Error::BadManifest(format!(
            "{what} is a Docker image manifest version 2, schema 1, a format that is no longer \
             supported: ask its author to push it again with a current client (OCI or \
             schema 2)"
        )));
    }
    let kind = if is_index(media_type) || is_manifest(media_type) {
        media_type
    } else if !inner.is_empty() {
        inner
    } else if value.get("manifests").is_some() {
        oci::MEDIA_INDEX
    } else if value.get("config").is_some() && value.get("layers").is_some() {
        oci::MEDIA_MANIFEST
    } else {
        ""
    };
    let bad = |e: serde_json::Error| Error::BadManifest(format!("the manifest of {what}: {e}"));
    if is_index(kind) {
        Ok(Document::Index(serde_json::from_value(value).map_err(bad)?))
    } else if is_manifest(kind) {
        let m: Manifest = serde_json::from_value(value).map_err(bad)?;
        if m.schema_version != 2 {
            return Err(Error::BadManifest(format!(
                "the manifest of {what} has schemaVersion {}, not 2",
                m.schema_version
            )));
        }
        Ok(Document::Manifest(m))
    } else {
        Err(Error::BadManifest(format!(
            "the manifest of {what} has media type {media_type:?}, which berth cannot pull \
             (not an image manifest or index)"
        )))
    }
}

impl Registry {
    /// `method` (`HEAD` or `GET`) of a manifest with the `Accept` berth takes; a non-2xx
    /// answer is the registry's error.
    fn manifest_request(
        &self,
        method: &str,
        repository: &str,
        reference: &str,
    ) -> Result<ureq::http::Response<ureq::Body>> {
        let path = format!("/v2/{repository}/manifests/{reference}");
        let resp = self.send(
            method,
            &path,
            &[Scope::pull(repository)],
            &[("Accept", ACCEPT.to_string())],
            Body::Empty,
        )?;
        if !(200..300).contains(&resp.status().as_u16()) {
            return Err(registry_error(resp));
        }
        Ok(resp)
    }

    /// `HEAD` of a manifest: its digest and media type, or `None` when the registry sent no
    /// `Docker-Content-Digest` (then a `GET` must resolve it).
    pub fn head_manifest(&self, repository: &str, reference: &str) -> Result<Option<Resolved>> {
        let resp = self.manifest_request("HEAD", repository, reference)?;
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_string())
        };
        let digest = header("docker-content-digest").and_then(|d| d.parse::<Digest>().ok());
        let media_type = header("content-type").unwrap_or_default();
        Ok(digest.map(|digest| Resolved { digest, media_type }))
    }

    /// `GET` of a manifest or index by tag or digest. The content is checked against the
    /// digest (the one asked for, else the `Docker-Content-Digest` the registry sent).
    pub fn get_manifest(&self, repository: &str, reference: &str) -> Result<Fetched> {
        let resp = self.manifest_request("GET", repository, reference)?;
        let media_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap_or("").trim().to_string())
            .unwrap_or_default();
        let sent_digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|d| d.trim().parse::<Digest>().ok());
        let bytes = read_limited(resp, MAX_MANIFEST, "manifest")?;
        let digest = Digest::of_bytes(&bytes);
        let expected = reference.parse::<Digest>().ok().or(sent_digest);
        if let Some(e) = expected {
            if e != digest {
                return Err(Error::DigestMismatch {
                    what: format!("manifest {repository}@{reference}"),
                    expected: e.to_string(),
                    actual: digest.to_string(),
                });
            }
        }
        Ok(Fetched {
            digest,
            media_type,
            bytes,
        })
    }

    /// `GET` of a small blob (an image configuration), checked against `digest` and `size`.
    pub fn get_small_blob(&self, repository: &str, digest: &Digest, size: u64) -> Result<Vec<u8>> {
        if size > MAX_CONFIG {
            return Err(Error::BadManifest(format!(
                "the image configuration {digest} is {size} bytes; berth takes at most {MAX_CONFIG}"
            )));
        }
        let path = format!("/v2/{repository}/blobs/{digest}");
        let resp = self.send("GET", &path, &[Scope::pull(repository)], &[], Body::Empty)?;
        if !(200..300).contains(&resp.status().as_u16()) {
            return Err(registry_error(resp));
        }
        let bytes = read_limited(resp, size, "image configuration")?;
        let actual = Digest::of_bytes(&bytes);
        if actual != *digest || bytes.len() as u64 != size {
            return Err(Error::DigestMismatch {
                what: format!(
                    "image configuration ({} bytes, {size} expected)",
                    bytes.len()
                ),
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(bytes)
    }
}

/// Reads a whole response body of at most `limit` bytes.
fn read_limited(resp: ureq::http::Response<ureq::Body>, limit: u64, what: &str) -> Result<Vec<u8>> {
    resp.into_body()
        .with_config()
        .limit(limit)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => {
                Error::BadManifest(format!("the {what} is larger than {limit} bytes; refused"))
            }
            other => Error::Transport {
                url: what.to_string(),
                reason: crate::http::describe(&other),
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema1_refused() {
        let e = parse(
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            br#"{"schemaVersion":1,"name":"x","tag":"1","fsLayers":[]}"#,
            "x:1",
        )
        .unwrap_err();
        assert!(e.to_string().contains("schema 1"), "{e}");
    }

    #[test]
    fn kinds() {
        let idx = br#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(matches!(
            parse(oci::MEDIA_INDEX, idx, "x").unwrap(),
            Document::Index(_)
        ));
        assert!(matches!(parse("", idx, "x").unwrap(), Document::Index(_)));
        let m = br#"{"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":1},"layers":[]}"#;
        assert!(matches!(
            parse(oci::MEDIA_DOCKER_MANIFEST, m, "x").unwrap(),
            Document::Manifest(_)
        ));
        assert!(parse("text/html", b"<html>", "x").is_err());
        assert!(parse("application/vnd.foo", br#"{"schemaVersion":2}"#, "x").is_err());
    }
}

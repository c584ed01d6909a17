//! Image archives: docker-archive and OCI layout/archive save and load.
//!
//! [`save`] streams a tar of images from the blob store; [`load`] reads one (possibly gzip or
//! zstd compressed, possibly from a pipe) into the store and says which images it held. Which
//! names point at which manifest is the engine's business: names go in and come out here.

mod docker_load;
mod docker_save;
mod extract;
mod ingest;
mod oci_load;
mod oci_save;
mod refs;
mod stored;
mod tar_out;

use std::io::{Read, Write};

use crate::blobs::BlobStore;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::oci::Descriptor;

/// The kind of archive [`save`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// `docker save`'s format, read by `docker load` and `podman load`.
    Docker,
    /// An OCI image layout in a tar (`oci-archive:`), as podman and skopeo write.
    Oci,
}

/// One image to save: its manifest and the names it goes by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveImage {
    /// The image manifest's digest in the blob store.
    pub manifest: Digest,
    /// Full references (`docker.io/library/busybox:latest`, `localhost/x:1`); may be empty.
    pub names: Vec<String>,
}

/// One image [`load`] put into the store.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedImage {
    /// The image's OCI manifest, now in the blob store.
    pub manifest: Descriptor,
    /// The image configuration's digest.
    pub config: Digest,
    /// The names the archive gave it, as full references; may be empty.
    pub names: Vec<String>,
}

/// Writes `images` from `blobs` as a `format` archive (an uncompressed tar) to `out`.
/// Every blob is checked against its digest while it is written.
pub fn save(
    blobs: &BlobStore,
    images: &[SaveImage],
    format: ArchiveFormat,
    out: impl Write,
) -> Result<()> {
    if images.is_empty() {
        return Err(Error::BadImage("no image to save".into()));
    }
    match format {
        ArchiveFormat::Docker => docker_save::save(blobs, images, out),
        ArchiveFormat::Oci => oci_save::save(blobs, images, out),
    }
}

/// Reads a docker-archive or OCI archive (a tar, plain, gzip or zstd compressed, which need
/// not be seekable) into `blobs`, checking every blob against its digest, and returns the
/// images it held. Docker-archive layers are stored uncompressed (their digest is their
/// diff_id) under a new OCI manifest; OCI archives keep their manifests and layers as they are.
pub fn load(blobs: &BlobStore, input: impl Read) -> Result<Vec<LoadedImage>> {
    let input = crate::compression::decompressed(input)?;
    let x = extract::Extracted::unpack(blobs.root(), input)?;
    if x.exists("manifest.json")? {
        docker_load::load(blobs, &x)
    } else if x.exists("index.json")? {
        oci_load::load(blobs, &x)
    } else if x.exists("repositories")? {
        Err(Error::BadImage(
            "this docker-archive has no manifest.json (Docker before 1.10 wrote such archives); \
             load it with a newer Docker and save it again"
                .into(),
        ))
    } else {
        Err(Error::BadImage(
            "not an image archive: it has neither manifest.json (docker-archive) nor \
             index.json (OCI layout)"
                .into(),
        ))
    }
}

/// Appends the names of `more` that `names` does not have yet.
fn merge_names(names: &mut Vec<String>, more: Vec<String>) {
    for n in more {
        if !names.contains(&n) {
            names.push(n);
        }
    }
}

//! berth's image store: content-addressed blobs in the OCI image layout, the image documents,
//! layers unpacked once (path-safe, whiteouts turned into overlayfs form), rootfs import, and
//! docker-archive / OCI archive save and load.
//!
//! The store is files only; which tags name which images is the engine's SQLite index.

#![forbid(unsafe_code)]

pub mod blobs;
pub mod digest;
pub mod error;
pub mod oci;

pub use blobs::BlobStore;
pub use digest::Digest;
pub use error::{Error, Result};
pub mod archive;
pub mod compression;
pub mod diff;
pub mod gzip;
pub mod import;
pub mod journal;
pub mod layers;
pub mod pending;
pub mod unpack;

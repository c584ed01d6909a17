//! berth's OCI distribution client (the OCI distribution spec, and Docker's registry API v2
//! with schema 2 manifests): registry names with Docker's `docker.io` semantics, the shared
//! HTTP transport (rustls with system roots, per-registry CAs and client certificates from
//! `certs.d`, proxies from the environment), authentication (bearer-token challenges, basic,
//! credentials from Docker's and podman's files and credential helpers), manifests and
//! platform selection, parallel streaming pulls into the blob store, and pushes.
//!
//! Blocking I/O on threads: the registry client never starts an async runtime.
#![forbid(unsafe_code)]

pub mod auth;
pub mod client;
pub mod config;
pub mod credentials;
pub mod error;
pub mod http;
pub mod manifest;
pub mod name;
pub mod platform;
pub mod progress;
pub mod pull;
pub mod push;
pub mod tags;

pub use error::{Error, Result};

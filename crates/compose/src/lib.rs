//! The pure half of `berth compose`: compose files become a [`loaded::Loaded`] document (YAML
//! read as written, `.env` and interpolation, files merged, `extends`, `include`, validated
//! against the Compose Specification's schema, every key's file and line kept for errors),
//! then a typed, normalised [`model::Project`]. No I/O besides reading the files; no root.
#![forbid(unsafe_code)]

pub mod error;
pub mod load;
pub mod loaded;
pub mod model;

pub use error::{Error, Result};

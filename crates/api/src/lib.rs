//! The Docker Engine API service (`berth system service`): a small tokio runtime serving
//! HTTP/1.1 with hyper on a unix socket (or TLS over TCP), each request handed to a
//! blocking thread that calls the same engine library the CLI uses.
//!
//! Handlers are plain synchronous functions ([`http::Request`] in, [`http::Reply`] out);
//! streaming bodies and hijacked connections are bridged to them as `std::io` readers,
//! writers and a unix socket, so no engine code ever runs on the async runtime.

#![forbid(unsafe_code)]

pub mod ctx;
pub mod error;
pub mod fuzz;
pub mod http;
pub mod listen;
pub mod query;
mod router;
pub mod routes;
pub mod service;
pub mod tls;
pub mod version;

pub use ctx::Ctx;
pub use error::ApiError;
pub use listen::Listen;
pub use service::{serve, ServiceOptions};
pub use tls::TlsFiles;

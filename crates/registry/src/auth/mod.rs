//! Registry authentication: `WWW-Authenticate` challenges, bearer tokens (fetched from the
//! challenge's realm with basic credentials, an OAuth2 refresh token, or anonymously; cached
//! per scope and renewed before they expire), and HTTP basic.

pub mod challenge;
mod token;

pub use token::{Authenticator, Scope};

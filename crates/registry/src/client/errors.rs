//! A registry's error response in Docker's words.

use serde::Deserialize;
use ureq::http::Response;

use crate::error::Error;

/// Largest error body read.
const MAX_ERROR_BODY: u64 = 64 * 1024;

#[derive(Deserialize)]
struct Errors {
    #[serde(default)]
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// The error for a non-2xx response: the registry's first error as Docker prints it
/// (`manifest unknown: manifest unknown`, `denied: requested access to the resource is
/// denied`), else the status.
pub fn registry_error(resp: Response<ureq::Body>) -> Error {
    let status = resp.status().as_u16();
    let reason = resp.status().canonical_reason().unwrap_or("").to_string();
    let body = resp
        .into_body()
        .with_config()
        .limit(MAX_ERROR_BODY)
        .read_to_vec()
        .unwrap_or_default();
    let first = serde_json::from_slice::<Errors>(&body)
        .ok()
        .and_then(|e| e.errors.into_iter().next());
    match first {
        Some(e) if !e.code.is_empty() => Error::Registry {
            status,
            message: format!(
                "{}: {}",
                e.code.to_ascii_lowercase().replace('_', " "),
                e.message
            ),
            code: Some(e.code),
        },
        _ => {
            let message = match status {
                401 => "unauthorized: authentication required".to_string(),
                403 => "denied: requested access to the resource is denied".to_string(),
                404 => "not found".to_string(),
                429 => "toomanyrequests: too many requests".to_string(),
                _ => format!("received unexpected HTTP status: {status} {reason}"),
            };
            Error::Registry {
                status,
                code: None,
                message,
            }
        }
    }
}

//! API errors: a status code and a message, sent as dockerd does (`{"message": "..."}`).

use hyper::StatusCode;

/// An error answered to the client.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong, for a person.
    pub message: String,
}

impl ApiError {
    /// An error with this status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404: no such object (or route).
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, message)
    }

    /// 409: the object's state forbids it.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    /// 500: the engine failed.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }

    /// 501: not implemented by berth.
    pub fn not_implemented(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_IMPLEMENTED, message)
    }

    /// The JSON body dockerd sends for an error.
    pub fn body(&self) -> serde_json::Value {
        serde_json::json!({ "message": self.message })
    }
}

impl From<berth_engine::Error> for ApiError {
    fn from(e: berth_engine::Error) -> ApiError {
        use berth_engine::Error as E;
        let status = match &e {
            E::NoSuchImage(_) | E::NoSuchContainer(_) | E::NoSuchVolume(_) => StatusCode::NOT_FOUND,
            E::NameInUse(_) | E::Conflict(_) => StatusCode::CONFLICT,
            E::Invalid(_) | E::Ambiguous { .. } | E::Spec(_) | E::NetworkInput(_) => {
                StatusCode::BAD_REQUEST
            }
            _ => not_found_by_message(&e.to_string()),
        };
        ApiError::new(status, e.to_string())
    }
}

/// Engine errors without a variant of their own that still mean "no such object".
fn not_found_by_message(msg: &str) -> StatusCode {
    let lower = msg.to_ascii_lowercase();
    if lower.starts_with("no such ") || lower.contains("not found: no such network") {
        StatusCode::NOT_FOUND
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> ApiError {
        ApiError::bad_request(format!("invalid JSON: {e}"))
    }
}

impl From<std::io::Error> for ApiError {
    fn from(e: std::io::Error) -> ApiError {
        ApiError::internal(e.to_string())
    }
}

/// The handlers' result type.
pub type ApiResult<T> = Result<T, ApiError>;

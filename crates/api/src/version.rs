//! API versions: the `/vX.Y` prefix and the range berth answers, checked as dockerd does.

use crate::error::ApiError;

/// The newest API version berth speaks (the docker CLI of Debian's docker.io 20.10).
pub const MAX: ApiVersion = ApiVersion(1, 41);
/// The oldest API version berth accepts (dockerd's minimum).
pub const MIN: ApiVersion = ApiVersion(1, 24);
/// The engine version berth reports as its `Server` and `/version` (dockerd-compatible).
pub const ENGINE_VERSION: &str = "20.10.24";

/// An API version `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion(pub u32, pub u32);

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

impl ApiVersion {
    /// Parses `1.41`.
    pub fn parse(s: &str) -> Option<ApiVersion> {
        let (a, b) = s.split_once('.')?;
        Some(ApiVersion(a.parse().ok()?, b.parse().ok()?))
    }

    /// True when this version is at least `major.minor`.
    pub fn at_least(self, major: u32, minor: u32) -> bool {
        self >= ApiVersion(major, minor)
    }
}

/// Splits a request path into its API version (the newest when there is no prefix) and the
/// rest; refuses versions outside [`MIN`]..=[`MAX`] with dockerd's messages.
pub fn split_version(path: &str) -> Result<(ApiVersion, &str), ApiError> {
    let Some(rest) = path.strip_prefix("/v") else {
        return Ok((MAX, path));
    };
    let (v, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let Some(version) = ApiVersion::parse(v) else {
        // Not a version prefix (e.g. `/volumes`): the whole path is the route.
        return Ok((MAX, path));
    };
    if version > MAX {
        return Err(ApiError::bad_request(format!(
            "client version {version} is too new. Maximum supported API version is {MAX}"
        )));
    }
    if version < MIN {
        return Err(ApiError::bad_request(format!(
            "client version {version} is too old. Minimum supported API version is {MIN}, please upgrade your client to a newer version"
        )));
    }
    Ok((version, tail))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(split_version("/_ping").unwrap(), (MAX, "/_ping"));
        assert_eq!(
            split_version("/v1.40/containers/json").unwrap(),
            (ApiVersion(1, 40), "/containers/json")
        );
        assert_eq!(split_version("/volumes").unwrap(), (MAX, "/volumes"));
        assert_eq!(split_version("/v1.41").unwrap(), (MAX, ""));
        assert!(split_version("/v1.99/info")
            .unwrap_err()
            .message
            .contains("too new"));
        assert!(split_version("/v1.12/info")
            .unwrap_err()
            .message
            .contains("too old"));
    }
}

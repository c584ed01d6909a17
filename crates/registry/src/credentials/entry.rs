//! One `auths` entry of Docker's `config.json` or podman's `auth.json`:
//! `{"auth": base64("user:password"), "identitytoken": "...", "username": ..., "password": ...}`.
//!
//! Field names are matched case-insensitively, as Go's JSON decoder (and so Docker) does.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;
use serde_json::{Map, Value};

use super::Credential;

/// Standard base64, accepting input with or without `=` padding.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The field `name` of a JSON object: an exact match, else a case-insensitive one.
pub(super) fn field<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The string field `name` (`None` if absent, null or empty); `Err` names the field if it is
/// some other JSON type.
pub(super) fn string_field<'a>(
    obj: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, String> {
    match field(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("\"{name}\" is not a string")),
    }
}

/// Decodes the entry filed under `key`. `Ok(None)` for an entry with no secret in it (Docker
/// writes `{}` entries when a credential helper holds the secret). The error is a reason
/// naming the key, never the secret.
pub(super) fn decode(key: &str, value: &Value) -> Result<Option<Credential>, String> {
    let Value::Object(obj) = value else {
        return Err(format!("auths entry \"{key}\" is not a JSON object"));
    };
    let named = |e: String| format!("auths entry \"{key}\": {e}");
    let auth = string_field(obj, "auth").map_err(named)?;
    let identity_token = string_field(obj, "identitytoken").map_err(named)?;
    let (mut username, mut password) = (None, None);
    if let Some(auth) = auth {
        let (u, p) = decode_auth(auth).map_err(named)?;
        username = Some(u);
        password = Some(p);
    }
    if username.as_deref().is_none_or(str::is_empty) {
        if let Some(u) = string_field(obj, "username").map_err(named)? {
            username = Some(u.to_string());
        }
    }
    if password.as_deref().is_none_or(str::is_empty) {
        if let Some(p) = string_field(obj, "password").map_err(named)? {
            password = Some(p.to_string());
        }
    }
    let username = username.unwrap_or_default();
    let password = password.unwrap_or_default();
    if let Some(token) = identity_token {
        return Ok(Some(Credential::IdentityToken {
            username,
            token: token.to_string(),
        }));
    }
    if username.is_empty() && password.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credential::Basic { username, password }))
}

/// Splits base64 `user:password` (the password may itself contain `:`).
fn decode_auth(auth: &str) -> Result<(String, String), String> {
    const BAD: &str = "\"auth\" is not base64 of user:password";
    let bytes = LENIENT.decode(auth.trim()).map_err(|_| BAD.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| BAD.to_string())?;
    let (user, pass) = text.split_once(':').ok_or_else(|| BAD.to_string())?;
    Ok((user.to_string(), pass.to_string()))
}

/// The entry Docker writes for `cred`: `{"auth": base64(user:pass)}`, or for an identity token
/// `{"auth": base64(user:), "identitytoken": token}`.
pub(super) fn encode(cred: &Credential) -> Value {
    let mut obj = Map::new();
    match cred {
        Credential::Basic { username, password } => {
            let auth = LENIENT.encode(format!("{username}:{password}"));
            obj.insert("auth".into(), Value::String(auth));
        }
        Credential::IdentityToken { username, token } => {
            let auth = LENIENT.encode(format!("{username}:"));
            obj.insert("auth".into(), Value::String(auth));
            obj.insert("identitytoken".into(), Value::String(token.clone()));
        }
    }
    Value::Object(obj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn auth_with_colons_in_password() {
        let v = json!({ "auth": b64("alice:pa:ss:word") });
        assert_eq!(
            decode("k", &v).unwrap(),
            Some(Credential::Basic {
                username: "alice".into(),
                password: "pa:ss:word".into()
            })
        );
        // Unpadded and surrounded by whitespace.
        let unpadded = b64("bob:x").trim_end_matches('=').to_string();
        let v = json!({ "Auth": format!(" {unpadded}\n") });
        assert_eq!(
            decode("k", &v).unwrap(),
            Some(Credential::Basic {
                username: "bob".into(),
                password: "x".into()
            })
        );
    }

    #[test]
    fn identity_token_and_plain_fields() {
        let v = json!({ "auth": b64("carol:"), "identitytoken": "refresh" });
        assert_eq!(
            decode("k", &v).unwrap(),
            Some(Credential::IdentityToken {
                username: "carol".into(),
                token: "refresh".into()
            })
        );
        let v = json!({ "IdentityToken": "refresh" });
        assert_eq!(
            decode("k", &v).unwrap(),
            Some(Credential::IdentityToken {
                username: String::new(),
                token: "refresh".into()
            })
        );
        let v = json!({ "username": "dave", "password": "pw" });
        assert_eq!(
            decode("k", &v).unwrap(),
            Some(Credential::Basic {
                username: "dave".into(),
                password: "pw".into()
            })
        );
        assert_eq!(decode("k", &json!({})).unwrap(), None);
        assert_eq!(
            decode("k", &json!({ "auth": "", "email": "x" })).unwrap(),
            None
        );
    }

    #[test]
    fn malformed_entries() {
        for v in [
            json!({ "auth": "%%%not base64" }),
            json!({ "auth": b64("no-colon") }),
            json!({ "auth": 42 }),
            json!("string"),
        ] {
            let e = decode("quay.io", &v).unwrap_err();
            assert!(e.contains("quay.io"), "{e}");
        }
    }

    #[test]
    fn encode_round_trips() {
        for cred in [
            Credential::Basic {
                username: "u".into(),
                password: "p:w".into(),
            },
            Credential::IdentityToken {
                username: "u".into(),
                token: "t".into(),
            },
        ] {
            assert_eq!(decode("k", &encode(&cred)).unwrap(), Some(cred));
        }
    }
}

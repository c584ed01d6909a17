//! Credentials in Docker's `config.json`: which credential helper applies to a registry
//! (`credHelpers`, else `credsStore`), and the `auths` entry for it, matched as Docker does
//! (the exact key first, then any key naming the same host).

use serde_json::Value;

use super::auth_file::AuthFile;
use super::entry::{self, field};
use super::key::{credential_key, hostname, same_host};
use super::Credential;
use crate::error::Result;

/// The credential helper `config.json` assigns to `registry`: its `credHelpers` entry
/// (under the credential key, the name as given, or any key for the same host), else
/// `credsStore`.
pub(super) fn helper_for(file: &AuthFile, registry: &str) -> Result<Option<String>> {
    let key = credential_key(registry);
    if let Some(helpers) = field(&file.root, "credHelpers") {
        let helpers = match helpers {
            Value::Null => None,
            Value::Object(h) => Some(h),
            _ => return Err(file.bad("\"credHelpers\" is not a JSON object".into())),
        };
        if let Some(helpers) = helpers {
            let host = hostname(registry);
            let found = helpers
                .get(&key)
                .or_else(|| helpers.get(registry))
                .or_else(|| {
                    helpers
                        .iter()
                        .find(|(k, _)| same_host(hostname(k), host))
                        .map(|(_, v)| v)
                });
            match found {
                Some(Value::String(name)) if !name.is_empty() => return Ok(Some(name.clone())),
                None | Some(Value::Null) | Some(Value::String(_)) => {}
                Some(_) => {
                    return Err(file.bad(format!("credHelpers entry for \"{key}\" is not a string")))
                }
            }
        }
    }
    match field(&file.root, "credsStore") {
        Some(Value::String(name)) if !name.is_empty() => Ok(Some(name.clone())),
        None | Some(Value::Null) | Some(Value::String(_)) => Ok(None),
        Some(_) => Err(file.bad("\"credsStore\" is not a string".into())),
    }
}

/// The credentials in `auths` for `registry`, if any.
pub(super) fn find(file: &AuthFile, registry: &str) -> Result<Option<Credential>> {
    let Some(auths) = file.auths()? else {
        return Ok(None);
    };
    let key = credential_key(registry);
    let host = hostname(registry);
    let exact = [key.as_str(), registry]
        .into_iter()
        .filter_map(|k| auths.get_key_value(k));
    let equivalent = auths.iter().filter(|(k, _)| same_host(hostname(k), host));
    for (k, v) in exact.chain(equivalent) {
        if let Some(cred) = entry::decode(k, v).map_err(|reason| file.bad(reason))? {
            return Ok(Some(cred));
        }
    }
    Ok(None)
}

/// Files `cred` in `auths` under the credential key for `registry`.
pub(super) fn set(file: &mut AuthFile, registry: &str, cred: &Credential) -> Result<()> {
    let key = credential_key(registry);
    file.auths_mut()?.insert(key, entry::encode(cred));
    Ok(())
}

/// Removes every `auths` entry for `registry` (under any equivalent key); whether any was.
pub(super) fn remove(file: &mut AuthFile, registry: &str) -> Result<bool> {
    let host = hostname(registry);
    file.remove_auths(|k| same_host(hostname(k), host))
}

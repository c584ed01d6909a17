//! The normalised model printed as `docker compose config` prints it (JSON and YAML), and
//! the per-service config hash used to decide recreation.

use std::collections::BTreeMap;

use serde::ser::SerializeSeq;
use serde::Serializer;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::Project;
use crate::error::Error;
use crate::Result;

/// `extra_hosts` as compose prints them: a list of `host=ip`.
pub(crate) fn hosts<S: Serializer>(
    h: &BTreeMap<String, Vec<String>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(None)?;
    for (host, ips) in h {
        for ip in ips {
            seq.serialize_element(&format!("{host}={ip}"))?;
        }
    }
    seq.end()
}

fn to_value<T: serde::Serialize>(t: &T) -> Value {
    // The model holds only maps with string keys and finite numbers: this cannot fail.
    serde_json::to_value(t).unwrap_or(Value::Null)
}

impl Project {
    /// The project in `docker compose config`'s shape: long-form ports and volumes,
    /// environment as a map, Go durations, `networks: {default: null}`.
    pub fn to_json(&self) -> Value {
        let mut out = Map::new();
        out.insert("name".into(), json!(self.name));
        out.insert("services".into(), to_value(&self.services));
        for (key, v) in [
            ("networks", to_value(&self.networks)),
            ("volumes", to_value(&self.volumes)),
            ("secrets", to_value(&self.secrets)),
            ("configs", to_value(&self.configs)),
        ] {
            if v.as_object().is_some_and(|m| !m.is_empty()) {
                out.insert(key.into(), v);
            }
        }
        Value::Object(out)
    }

    /// [`Project::to_json`] as YAML.
    pub fn to_yaml(&self) -> Result<String> {
        yaml_serde::to_string(&self.to_json())
            .map_err(|e| Error::Invalid(format!("printing YAML: {e}")))
    }

    /// The sha256 (hex) of the service's canonical JSON, without what does not need a new
    /// container (build, pull_policy, scale, deploy.replicas, depends_on, profiles), as
    /// docker compose's `ServiceHash`. The empty string for an unknown service.
    pub fn config_hash(&self, service: &str) -> String {
        let Some(s) = self.services.get(service) else {
            return String::new();
        };
        let mut v = to_value(s);
        if let Some(m) = v.as_object_mut() {
            for k in ["build", "pull_policy", "scale", "depends_on", "profiles"] {
                m.remove(k);
            }
            if let Some(d) = m.get_mut("deploy").and_then(Value::as_object_mut) {
                d.remove("replicas");
            }
        }
        let digest = Sha256::digest(v.to_string().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }
}

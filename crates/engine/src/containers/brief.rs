//! What listings (`ps`, the API's container list, `system df`, `network ls`) need of a
//! container record: the full `Config` and `HostConfig` objects and the monitor
//! configuration left out. Stored as JSON in the `container_listing` table (see `listing`)
//! when the record is written ([`ContainerBrief::of`]); [`parse`] reads that JSON, and reads
//! a whole record's the same, skipping the rest unbuilt.

use std::collections::BTreeMap;

use rusqlite::Connection;
use serde::de::{Deserializer, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::containers::listing::{self, ListingRow};
use crate::containers::record::{self, ContainerRecord, MountRecord};
use crate::error::Result;
use crate::network::Attachment;

/// A container record's listing fields (the same names and meanings as `ContainerRecord`'s).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerBrief {
    /// Full ID.
    pub id: String,
    /// Name (without the leading `/`).
    pub name: String,
    /// Image ID.
    pub image_id: String,
    /// The image as the user named it.
    pub image: String,
    /// Creation time (RFC 3339 nano).
    pub created: String,
    /// The process: program.
    pub path: String,
    /// The process: arguments.
    pub args: Vec<String>,
    /// Docker's `Config` object with only `Labels` and `ExposedPorts` (when set).
    #[serde(default, deserialize_with = "listed_config")]
    pub config: Value,
    /// Mounts.
    pub mounts: Vec<MountRecord>,
    /// none, host, default.
    pub network_mode: String,
    /// Its place on a bridge network.
    #[serde(default)]
    pub net: Option<Attachment>,
    /// Networks joined later with `network connect`.
    #[serde(default)]
    pub extra_nets: Vec<Attachment>,
}

impl ContainerBrief {
    /// The listing fields of a full record.
    pub fn of(r: &ContainerRecord) -> ContainerBrief {
        let mut config = serde_json::Map::new();
        if let Some(l) = r.config.get("Labels").filter(|l| !l.is_null()) {
            config.insert("Labels".into(), l.clone());
        }
        if let Some(p) = r.config.get("ExposedPorts").and_then(Value::as_object) {
            let ports = p
                .keys()
                .map(|k| (k.clone(), Value::Object(Default::default())));
            config.insert("ExposedPorts".into(), Value::Object(ports.collect()));
        }
        ContainerBrief {
            id: r.id.clone(),
            name: r.name.clone(),
            image_id: r.image_id.clone(),
            image: r.image.clone(),
            created: r.created.clone(),
            path: r.path.clone(),
            args: r.args.clone(),
            config: if r.config.is_null() {
                Value::Null
            } else {
                Value::Object(config)
            },
            mounts: r.mounts.clone(),
            network_mode: r.network_mode.clone(),
            net: r.net.clone(),
            extra_nets: r.extra_nets.clone(),
        }
    }

    /// What listings show of a container whose record does not parse: the columns kept
    /// next to it.
    pub fn unreadable(id: &str, name: &str, image_id: &str, created: &str) -> ContainerBrief {
        ContainerBrief {
            id: id.to_string(),
            name: name.to_string(),
            image_id: image_id.to_string(),
            image: image_id.to_string(),
            created: created.to_string(),
            path: String::new(),
            args: Vec::new(),
            config: Value::Null,
            mounts: Vec::new(),
            network_mode: String::new(),
            net: None,
            extra_nets: Vec::new(),
        }
    }

    /// Every network attachment: the first network's, then those `network connect` added.
    pub fn attachments(&self) -> impl Iterator<Item = &Attachment> {
        self.net.iter().chain(self.extra_nets.iter())
    }

    /// The 12-character short ID.
    pub fn short_id(&self) -> &str {
        &self.id[..12]
    }
}

/// The parts of `Config` listings show; every other key is skipped unbuilt.
#[derive(Deserialize)]
struct ListedConfig {
    #[serde(rename = "Labels", default)]
    labels: Option<Value>,
    #[serde(rename = "ExposedPorts", default)]
    exposed_ports: Option<BTreeMap<String, IgnoredAny>>,
}

/// `Config` reduced to `{"Labels": ..., "ExposedPorts": {...}}` (keys absent when unset).
fn listed_config<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Value, D::Error> {
    let Some(c) = Option::<ListedConfig>::deserialize(d)? else {
        return Ok(Value::Null);
    };
    let mut m = serde_json::Map::new();
    if let Some(l) = c.labels {
        m.insert("Labels".into(), l);
    }
    if let Some(p) = c.exposed_ports {
        let ports = p
            .into_keys()
            .map(|k| (k, Value::Object(Default::default())));
        m.insert("ExposedPorts".into(), Value::Object(ports.collect()));
    }
    Ok(Value::Object(m))
}

/// Parses one stored record's listing fields.
pub fn parse(json: &str) -> serde_json::Result<ContainerBrief> {
    serde_json::from_str(json)
}

/// Every container's listing fields, newest first.
pub fn list(conn: &Connection) -> Result<Vec<ContainerBrief>> {
    let mut out = Vec::new();
    each(conn, |b, _| {
        out.push(b);
        Ok(())
    })?;
    Ok(out)
}

/// Calls `f` with every container's listing fields and its listing row, newest first.
/// Each row is parsed where SQLite holds it, not copied out first, and handed over, so a
/// caller that streams (`ps`) keeps one container in memory at a time.
pub fn each(
    conn: &Connection,
    mut f: impl FnMut(ContainerBrief, &ListingRow) -> Result<()>,
) -> Result<()> {
    listing::complete(conn)?;
    listing::each_row(conn, |row| {
        let b = parse(row.brief).map_err(record::bad_json)?;
        f(b, &row)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containers::record::{self, ContainerRecord};

    /// A record as `create` stores it, with labels, an exposed port, a volume and a network.
    fn stored(id: &str, name: &str, created: &str, config: &str) -> String {
        format!(
            r#"{{"id":"{id}","name":"{name}","image_id":"e7ad","image":"bb:1","created":"{created}","path":"sh","args":["-c","true"],"config":{config},"host_config":{{"AutoRemove":false,"Binds":[],"LogConfig":{{"Config":{{}},"Type":"k8s-file"}}}},"mounts":[{{"kind":"volume","name":"data","source":"/v/data","destination":"/data","rw":true,"mode":"","propagation":"","anonymous":false}}],"tty":false,"stdin_open":false,"stop_signal":"SIGTERM","stop_timeout":10,"auto_remove":false,"network_mode":"default","monitor":{{"id":"{id}","runtime_root":"/r","bundle":"/b","ctr_dir":"/c","socket":"/s","tty":false,"stdin":false,"log":{{"path":"/c/ctr.log","max_size":10,"max_files":3}},"restart":"no","healthcheck":null,"on_exit":null,"berth_exe":"/berth"}},"net":{{"network":"bridge","network_id":"n1","bridge":"br0","ip":"10.0.0.2","prefix":24,"gateway":"10.0.0.1","mac":"02:00","aliases":[],"ports":[{{"host_ip":"","host_port":8080,"container_port":80,"proto":"tcp"}}],"netns":"/ns","host_veth":"v1"}},"extra_nets":[]}}"#
        )
    }

    const CONFIG: &str = r#"{"Cmd":["sh"],"Env":["A=1"],"ExposedPorts":{"80/tcp":{}},"Healthcheck":null,"Labels":{"k":"v","e":""},"Volumes":null}"#;

    #[test]
    fn brief_agrees_with_the_full_record() {
        let json = stored(&"a".repeat(64), "web", "2026-01-01T00:00:00Z", CONFIG);
        let full: ContainerRecord = serde_json::from_str(&json).unwrap();
        let b = parse(&json).unwrap();
        assert_eq!(b.id, full.id);
        assert_eq!(b.short_id(), full.short_id());
        assert_eq!(
            (&b.name, &b.image, &b.image_id, &b.created),
            (&full.name, &full.image, &full.image_id, &full.created)
        );
        assert_eq!((&b.path, &b.args), (&full.path, &full.args));
        assert_eq!(b.mounts, full.mounts);
        assert_eq!(b.network_mode, full.network_mode);
        assert_eq!(
            b.attachments().collect::<Vec<_>>(),
            full.attachments().collect::<Vec<_>>()
        );
        // Only what listings read of `Config`, in the same shape.
        assert_eq!(b.config["Labels"], full.config["Labels"]);
        assert_eq!(b.config["ExposedPorts"], full.config["ExposedPorts"]);
        assert!(b.config.get("Env").is_none() && b.config.get("Cmd").is_none());
    }

    #[test]
    fn config_without_labels_or_ports() {
        for config in ["null", "{}", r#"{"Labels":null,"ExposedPorts":null}"#] {
            let b = parse(&stored(&"b".repeat(64), "x", "t", config)).unwrap();
            assert!(b.config["Labels"].as_object().is_none(), "{config}");
            assert!(b.config["ExposedPorts"].as_object().is_none(), "{config}");
        }
        let json = stored(&"b".repeat(64), "x", "t", CONFIG);
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v.as_object_mut().unwrap().remove("config");
        v.as_object_mut().unwrap().remove("net");
        v.as_object_mut().unwrap().remove("extra_nets");
        let b: ContainerBrief = serde_json::from_value(v).unwrap();
        assert!(b.config.is_null() && b.attachments().next().is_none());
    }

    #[test]
    fn list_is_newest_first_like_the_full_list() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open(&dir.path().join("berth.db")).unwrap();
        for (n, created) in [
            ("old", "2026-01-01T00:00:00.1Z"),
            ("new", "2026-01-03T00:00:00.1Z"),
            ("mid", "2026-01-02T00:00:00.1Z"),
        ] {
            let id = n.repeat(22)[..64].to_string();
            let r: ContainerRecord =
                serde_json::from_str(&stored(&id, n, created, CONFIG)).unwrap();
            record::insert(&conn, &r).unwrap();
        }
        let names = |v: Vec<String>| v.join(",");
        let briefs = list(&conn).unwrap();
        assert_eq!(
            names(briefs.into_iter().map(|b| b.name).collect()),
            "new,mid,old"
        );
        let full = record::list(&conn).unwrap();
        assert_eq!(
            names(full.into_iter().map(|r| r.name).collect()),
            "new,mid,old"
        );
    }
}

//! Networks as the engine records them, and their rows in the state database.

use std::collections::BTreeMap;

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{json_err, net_err, Error, Result};

/// The default bridge network's name (Docker's).
pub const DEFAULT_NETWORK: &str = "bridge";
/// The default bridge's interface name.
pub const DEFAULT_BRIDGE: &str = "berth0";

/// One bridge network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRecord {
    /// 64-hex ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Always `bridge` for now.
    pub driver: String,
    /// `10.91.0.0/24`.
    pub subnet: String,
    /// The bridge's own address, the containers' gateway and DNS server.
    pub gateway: String,
    /// The bridge interface.
    pub bridge: String,
    /// No route out (`--internal`).
    pub internal: bool,
    /// `--label`s.
    pub labels: BTreeMap<String, String>,
    /// RFC 3339.
    pub created: String,
    /// Whether containers resolve each other by name (user networks; not the default bridge,
    /// as in Docker).
    pub dns_names: bool,
}

impl NetworkRecord {
    /// The subnet, parsed.
    pub fn subnet(&self) -> Result<berth_net::ipam::Subnet> {
        self.subnet
            .parse()
            .map_err(net_err(format!("network {}: bad subnet", self.name)))
    }

    /// The gateway address, parsed.
    pub fn gateway_ip(&self) -> Result<std::net::Ipv4Addr> {
        self.gateway
            .parse()
            .map_err(|_| Error::Invalid(format!("network {}: bad gateway", self.name)))
    }
}

/// Stores a new network; a taken name is an error as Docker words it.
pub fn insert(conn: &Connection, n: &NetworkRecord) -> Result<()> {
    let json = serde_json::to_string(n).map_err(json_err("serialise network record"))?;
    match conn.execute(
        "INSERT INTO networks(name, id, record) VALUES (?1, ?2, ?3)",
        params![n.name, n.id, json],
    ) {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(Error::Conflict(format!(
                "network with name {} already exists",
                n.name
            )))
        }
        Err(e) => Err(e.into()),
        Ok(_) => Ok(()),
    }
}

/// Every network, by name.
pub fn list(conn: &Connection) -> Result<Vec<NetworkRecord>> {
    let mut stmt = conn.prepare("SELECT record FROM networks ORDER BY name")?;
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.iter()
        .map(|j| serde_json::from_str(j).map_err(json_err("corrupt network record")))
        .collect()
}

/// The network with this exact name, if any.
pub fn by_name(conn: &Connection, name: &str) -> Result<Option<NetworkRecord>> {
    let j: Option<String> = conn
        .query_row("SELECT record FROM networks WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?;
    j.map(|j| serde_json::from_str(&j).map_err(json_err("corrupt network record")))
        .transpose()
}

/// Deletes a network's row.
pub fn delete(conn: &Connection, name: &str) -> Result<()> {
    conn.execute("DELETE FROM networks WHERE name = ?1", [name])?;
    Ok(())
}

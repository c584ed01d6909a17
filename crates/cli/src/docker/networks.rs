//! `network create|ls|inspect|rm|prune|connect|disconnect` and `port`.

use std::collections::BTreeMap;

use anyhow::bail;
use berth_engine::containers::{brief, ContainerBrief};
use berth_engine::network::{NetworkCreate, NetworkRecord};
use berth_engine::Engine;
use serde_json::{json, Value};

use super::args::*;
use super::{engine, output};
use crate::format::headers::NETWORKS;

/// Docker's `network inspect` object, with its containers among `ctrs` (the records'
/// listing fields, read once per command: `brief::list`).
fn inspect_json(n: &NetworkRecord, ctrs: &[ContainerBrief]) -> Value {
    let mut containers = serde_json::Map::new();
    for r in ctrs {
        let Some(a) = r.attachments().find(|a| a.network == n.name) else {
            continue;
        };
        containers.insert(
            r.id.clone(),
            json!({"Name": r.name, "EndpointID": "", "MacAddress": a.mac, "IPv4Address": format!("{}/{}", a.ip, a.prefix), "IPv6Address": ""}),
        );
    }
    json!({
        "Name": n.name,
        "Id": n.id,
        "Created": n.created,
        "Scope": "local",
        "Driver": n.driver,
        "EnableIPv6": false,
        "IPAM": {"Driver": "default", "Options": {}, "Config": [{"Subnet": n.subnet, "Gateway": n.gateway}]},
        "Internal": n.internal,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": false,
        "Containers": containers,
        "Options": {"com.docker.network.bridge.name": n.bridge},
        "Labels": n.labels,
    })
}

/// Docker's `network inspect` object for a predefined network (`host`, `none`).
fn predefined_json(name: &str) -> Value {
    json!({
        "Name": name, "Id": berth_engine::network::manage::predefined_id(name), "Created": "", "Scope": "local",
        "Driver": if name == "none" { "null" } else { name }, "EnableIPv6": false,
        "IPAM": {"Driver": "default", "Options": null, "Config": []}, "Internal": false,
        "Attachable": false, "Ingress": false, "ConfigFrom": {"Network": ""}, "ConfigOnly": false,
        "Containers": {}, "Options": {}, "Labels": {},
    })
}

/// `network <subcommand>`.
pub fn dispatch(g: &Globals, c: NetworkCommand) -> anyhow::Result<i32> {
    let e = engine(g)?;
    match c {
        NetworkCommand::Create(a) => create(&e, &a),
        NetworkCommand::Ls(a) => ls(&e, &a),
        NetworkCommand::Inspect(a) => inspect(&e, &a),
        NetworkCommand::Rm(a) => rm(&e, &a),
        NetworkCommand::Prune(a) => prune(&e, &a),
        NetworkCommand::Connect(a) => {
            e.connect_network(&a.network, &a.container, &a.alias, a.ip.as_deref())?;
            Ok(0)
        }
        NetworkCommand::Disconnect(a) => {
            e.disconnect_network(&a.network, &a.container)?;
            Ok(0)
        }
    }
}

/// `network create`: one IPv4 bridge network, no driver options.
fn create(e: &Engine, a: &NetworkCreateArgs) -> anyhow::Result<i32> {
    if a.ipv6 {
        bail!("IPv6 networks are not supported yet");
    }
    if let Some(o) = a.opt.first() {
        bail!("network driver option {o:?} is not supported");
    }
    if a.subnet.len() > 1 || a.gateway.len() > 1 {
        bail!("one --subnet and one --gateway per network (IPv4 only for now)");
    }
    let mut labels = BTreeMap::new();
    for l in &a.label {
        let (k, v) = l.split_once('=').unwrap_or((l, ""));
        labels.insert(k.to_string(), v.to_string());
    }
    let n = e.create_network(
        &a.name,
        &NetworkCreate {
            subnet: a.subnet.first().cloned(),
            gateway: a.gateway.first().cloned(),
            internal: a.internal,
            labels,
            driver: Some(a.driver.clone()),
        },
    )?;
    println!("{}", n.id);
    Ok(0)
}

/// `network ls`: berth's networks and the predefined ones, filtered, by name.
fn ls(e: &Engine, a: &NetworkLsArgs) -> anyhow::Result<i32> {
    // The rows show no containers: none are read.
    let mut all: Vec<(Value, bool)> = e
        .networks()?
        .iter()
        .map(|n| (inspect_json(n, &[]), n.name != "bridge"))
        .collect();
    for p in berth_engine::network::manage::PREDEFINED {
        all.push((predefined_json(p), false));
    }
    let mut rows = Vec::new();
    for (n, custom) in all {
        let row = LsRow::of(&n);
        if row.matches(&a.filter, custom)? {
            rows.push(row.json(&n, a.no_trunc));
        }
    }
    rows.sort_by(|x, y| x["Name"].as_str().cmp(&y["Name"].as_str()));
    if a.quiet {
        for r in rows {
            println!("{}", r["ID"].as_str().unwrap_or_default());
        }
        return Ok(0);
    }
    output::print_rows(
        a.format.as_deref(),
        NETWORKS.default_table,
        NETWORKS.headers,
        &rows,
    )?;
    Ok(0)
}

/// What `network ls` filters and shows of one network's inspect object.
struct LsRow {
    name: String,
    id: String,
    driver: String,
    labels: BTreeMap<String, String>,
}

impl LsRow {
    fn of(n: &Value) -> LsRow {
        LsRow {
            name: n["Name"].as_str().unwrap_or_default().to_string(),
            id: n["Id"].as_str().unwrap_or_default().to_string(),
            driver: n["Driver"].as_str().unwrap_or_default().to_string(),
            labels: serde_json::from_value(n["Labels"].clone()).unwrap_or_default(),
        }
    }

    /// Whether every `--filter` (name, id, driver, type, label) keeps the network.
    fn matches(&self, filters: &[String], custom: bool) -> anyhow::Result<bool> {
        let mut keep = true;
        for f in filters {
            let (k, val) = f.split_once('=').unwrap_or((f, ""));
            keep &= match k {
                "name" => self.name.contains(val),
                "id" => self.id.starts_with(val),
                "driver" => self.driver == val,
                "type" => (val == "custom") == custom,
                "label" => match val.split_once('=') {
                    Some((lk, lv)) => self.labels.get(lk).map(String::as_str) == Some(lv),
                    None => self.labels.contains_key(val),
                },
                _ => bail!("invalid filter '{k}'"),
            };
        }
        Ok(keep)
    }

    /// The row `network ls` prints (ID cut to 12 unless `--no-trunc`).
    fn json(&self, n: &Value, no_trunc: bool) -> Value {
        let shown = if no_trunc {
            self.id.clone()
        } else {
            self.id[..12.min(self.id.len())].to_string()
        };
        json!({
            "ID": shown, "Name": self.name, "Driver": self.driver, "Scope": "local",
            "IPv6": "false", "Internal": n["Internal"].as_bool().unwrap_or(false).to_string(),
            "Labels": self.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
            "CreatedAt": n["Created"],
        })
    }
}

/// `network inspect`.
fn inspect(e: &Engine, a: &NetworkInspectArgs) -> anyhow::Result<i32> {
    let ctrs = brief::list(&e.db)?;
    output::inspect_each(a.format.as_deref(), &a.names, |n| {
        if berth_engine::network::manage::PREDEFINED.contains(&n) {
            return Ok::<_, anyhow::Error>(predefined_json(n));
        }
        let rec = e
            .network(n)
            .map_err(|_| anyhow::anyhow!("network {n} not found"))?;
        Ok(inspect_json(&rec, &ctrs))
    })
}

/// `network rm`: every name; `-f` is quiet about missing ones.
fn rm(e: &Engine, a: &NetworkRmArgs) -> anyhow::Result<i32> {
    let mut code = 0;
    for n in &a.names {
        match e.remove_network(n) {
            Ok(_) => println!("{n}"),
            Err(_) if a.force && e.network(n).is_err() => {}
            Err(err) => {
                eprintln!("Error response from daemon: {err}");
                code = 1;
            }
        }
    }
    Ok(code)
}

/// `network prune`.
fn prune(e: &Engine, a: &PruneArgs) -> anyhow::Result<i32> {
    if !a.force
        && !super::system::confirm(
            "WARNING! This will remove all custom networks not used by at least one container.\n",
        )?
    {
        return Ok(0);
    }
    let names = e.prune_networks(&berth_engine::system::prune_filter::PruneFilter::parse(
        &a.filter,
    )?)?;
    if !names.is_empty() {
        println!("Deleted Networks:\n{}", names.join("\n"));
    }
    Ok(0)
}

/// `port CONTAINER [PRIVATE_PORT[/PROTO]]`.
pub fn port(g: &Globals, a: PortArgs) -> anyhow::Result<i32> {
    let e = engine(g)?;
    let r = e.container(&a.container)?;
    let want = a.port.as_deref().map(|p| {
        let (port, proto) = p.split_once('/').unwrap_or((p, "tcp"));
        (port.to_string(), proto.to_string())
    });
    let mut any = false;
    for p in r.net.iter().flat_map(|n| n.ports.iter()) {
        if let Some((port, proto)) = &want {
            if p.container_port.to_string() != *port || p.proto != *proto {
                continue;
            }
        }
        any = true;
        let ip = if p.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            &p.host_ip
        };
        if want.is_some() {
            println!("{ip}:{}", p.host_port);
        } else {
            println!("{}/{} -> {ip}:{}", p.container_port, p.proto, p.host_port);
        }
    }
    if !any {
        if let Some((port, proto)) = want {
            bail!(
                "No public port '{port}/{proto}' published for {}",
                a.container
            );
        }
    }
    Ok(0)
}

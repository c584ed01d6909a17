//! Network routes: list, inspect, create, remove, connect, disconnect and prune, in
//! dockerd's shapes, on the engine's bridge networks plus the predefined `host` and `none`.

use std::collections::BTreeMap;

use berth_engine::network::manage::{predefined_id, PREDEFINED};
use berth_engine::network::{NetworkCreate, NetworkRecord};
use berth_engine::Engine;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};
use crate::query::Filters;
use crate::routes::encode::stable_hex;

/// The network routes.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("GET", ["networks"]) => list(ctx, req),
        ("POST", ["networks", "create"]) => create(ctx, req),
        ("POST", ["networks", "prune"]) => prune(ctx, req),
        ("GET", ["networks", id]) => inspect(ctx, id),
        ("DELETE", ["networks", id]) => remove(ctx, id),
        ("POST", ["networks", id, "connect"]) => connect(ctx, req, id),
        ("POST", ["networks", id, "disconnect"]) => disconnect(ctx, req, id),
        _ => return None,
    })
}

/// A network as a request names it.
enum Found {
    /// `host` or `none`, which have no record.
    Predefined(&'static str),
    /// A bridge network.
    Record(NetworkRecord),
}

/// The network `what` names (name, ID or ID prefix); 404 when none.
fn find(e: &Engine, what: &str) -> ApiResult<Found> {
    for p in PREDEFINED {
        if what == p || (what.len() >= 3 && predefined_id(p).starts_with(what)) {
            return Ok(Found::Predefined(p));
        }
    }
    match e.network(what) {
        Ok(n) => Ok(Found::Record(n)),
        Err(berth_engine::Error::Invalid(_)) => {
            Err(ApiError::not_found(format!("network {what} not found")))
        }
        Err(err) => Err(err.into()),
    }
}

/// dockerd's network object for a bridge network.
fn network_json(e: &Engine, n: &NetworkRecord) -> ApiResult<Value> {
    let mut containers = serde_json::Map::new();
    for (r, _) in e.containers()? {
        let Some(a) = r.attachments().find(|a| a.network == n.name) else {
            continue;
        };
        containers.insert(
            r.id.clone(),
            json!({
                "Name": r.name,
                "EndpointID": stable_hex(&format!("{}/{}", n.id, r.id), 64),
                "MacAddress": a.mac,
                "IPv4Address": format!("{}/{}", a.ip, a.prefix),
                "IPv6Address": "",
            }),
        );
    }
    Ok(json!({
        "Name": n.name,
        "Id": n.id,
        "Created": n.created,
        "Scope": "local",
        "Driver": n.driver,
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": null,
            "Config": [{"Subnet": n.subnet, "Gateway": n.gateway}],
        },
        "Internal": n.internal,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": false,
        "Containers": containers,
        "Options": {"com.docker.network.bridge.name": n.bridge},
        "Labels": n.labels,
    }))
}

/// dockerd's network object for `host` or `none`.
fn predefined_json(name: &str) -> Value {
    json!({
        "Name": name,
        "Id": predefined_id(name),
        "Created": crate::routes::encode::ZERO_TIME,
        "Scope": "local",
        "Driver": if name == "none" { "null" } else { name },
        "EnableIPv6": false,
        "IPAM": {"Driver": "default", "Options": null, "Config": []},
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": false,
        "Containers": {},
        "Options": {},
        "Labels": {},
    })
}

/// `GET /networks/{id}`.
fn inspect(ctx: &Ctx, id: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    match find(&e, id)? {
        Found::Predefined(p) => Reply::ok(predefined_json(p)),
        Found::Record(n) => Reply::ok(network_json(&e, &n)?),
    }
}

/// `GET /networks?filters=`.
fn list(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let f = req.query.filters()?;
    f.only(&["name", "id", "label", "driver", "type", "dangling"])?;
    let keep = ListFilter::parse(&f)?;
    let e = ctx.engine()?;
    let mut out = Vec::new();
    for n in e.networks()? {
        let v = network_json(&e, &n)?;
        let builtin = n.name == "bridge";
        let empty = v["Containers"].as_object().is_none_or(|m| m.is_empty());
        if keep.matches(&v, builtin, empty) {
            out.push(v);
        }
    }
    for p in PREDEFINED {
        let v = predefined_json(p);
        if keep.matches(&v, true, true) {
            out.push(v);
        }
    }
    Reply::ok(Value::Array(out))
}

/// The `filters` of a network list.
struct ListFilter<'a> {
    f: &'a Filters,
    dangling: Option<bool>,
}

impl<'a> ListFilter<'a> {
    fn parse(f: &'a Filters) -> ApiResult<ListFilter<'a>> {
        for t in f.get("type") {
            if t != "custom" && t != "builtin" {
                return Err(ApiError::bad_request(format!(
                    "invalid filter: 'type'='{t}'"
                )));
            }
        }
        let dangling = match f.get("dangling") {
            [] => None,
            [v] => Some(bool_value("dangling", v)?),
            _ => {
                return Err(ApiError::bad_request(
                    "invalid filter: 'dangling' takes one value",
                ))
            }
        };
        Ok(ListFilter { f, dangling })
    }

    /// Whether the network `v` passes (`builtin`: the default or a predefined network;
    /// `empty`: no container on it).
    fn matches(&self, v: &Value, builtin: bool, empty: bool) -> bool {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let (name, id, driver) = (s("Name"), s("Id"), s("Driver"));
        let labels: BTreeMap<String, String> =
            serde_json::from_value(v["Labels"].clone()).unwrap_or_default();
        let any = |key: &str, test: &dyn Fn(&str) -> bool| {
            let vals = self.f.get(key);
            vals.is_empty() || vals.iter().any(|x| test(x))
        };
        any("name", &|x| name.contains(x))
            && any("id", &|x| id.starts_with(x))
            && any("driver", &|x| driver == x)
            && any("type", &|x| (x == "builtin") == builtin)
            && label_match(self.f.get("label"), &labels)
            && self.dangling.is_none_or(|d| {
                if d {
                    !builtin && empty
                } else {
                    builtin || !empty
                }
            })
    }
}

/// Every `label` filter (`key` or `key=value`) holds.
pub fn label_match(filters: &[String], labels: &BTreeMap<String, String>) -> bool {
    filters.iter().all(|l| match l.split_once('=') {
        Some((k, v)) => labels.get(k).map(String::as_str) == Some(v),
        None => labels.contains_key(l.as_str()),
    })
}

/// A boolean filter value as dockerd reads one; anything else is a 400.
pub fn bool_value(key: &str, v: &str) -> ApiResult<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(ApiError::bad_request(format!(
            "invalid filter '{key}={v}': expected true, false, 1 or 0"
        ))),
    }
}

/// `POST /networks/create`'s body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct CreateBody {
    name: Option<String>,
    driver: Option<String>,
    internal: Option<bool>,
    ingress: Option<bool>,
    #[serde(rename = "IPAM")]
    ipam: Option<Ipam>,
    #[serde(rename = "EnableIPv6")]
    enable_ipv6: Option<bool>,
    options: Option<BTreeMap<String, String>>,
    labels: Option<BTreeMap<String, String>>,
}

/// The body's `IPAM`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Ipam {
    driver: Option<String>,
    config: Option<Vec<IpamConfig>>,
    options: Option<BTreeMap<String, String>>,
}

/// One `IPAM.Config` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct IpamConfig {
    subnet: Option<String>,
    gateway: Option<String>,
    #[serde(rename = "IPRange")]
    ip_range: Option<String>,
    auxiliary_addresses: Option<BTreeMap<String, String>>,
}

/// `POST /networks/create`: 201 `{"Id", "Warning"}`.
fn create(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let body: Option<CreateBody> = req.json()?;
    let b = body.ok_or_else(|| ApiError::bad_request("network create: missing JSON body"))?;
    let opts = create_options(&b)?;
    let name = b.name.unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::bad_request("network name is required"));
    }
    let e = ctx.engine()?;
    if name == "bridge" || PREDEFINED.contains(&name.as_str()) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("operation is not permitted on predefined {name} network "),
        ));
    }
    let n = e.create_network(&name, &opts)?;
    Reply::created(json!({"Id": n.id, "Warning": ""}))
}

/// The engine's options from a create body; what berth cannot honour is a 400.
pub(crate) fn create_options(b: &CreateBody) -> ApiResult<NetworkCreate> {
    let bad = |m: &str| Err(ApiError::bad_request(m.to_string()));
    if b.enable_ipv6 == Some(true) {
        return bad("IPv6 networks are not supported by berth");
    }
    if b.ingress == Some(true) {
        return bad("ingress networks need swarm mode, which berth does not have");
    }
    if let Some((k, _)) = b.options.as_ref().and_then(|o| o.iter().next()) {
        return Err(ApiError::bad_request(format!(
            "network driver option {k:?} is not supported"
        )));
    }
    let ipam = b.ipam.as_ref();
    if let Some(d) = ipam.and_then(|i| i.driver.as_deref()) {
        if !d.is_empty() && d != "default" {
            return Err(ApiError::bad_request(format!(
                "IPAM driver {d:?} is not supported (default only)"
            )));
        }
    }
    if ipam
        .and_then(|i| i.options.as_ref())
        .is_some_and(|o| !o.is_empty())
    {
        return bad("IPAM options are not supported");
    }
    let configs = ipam.and_then(|i| i.config.as_deref()).unwrap_or_default();
    if configs.len() > 1 {
        return bad("one IPAM config (subnet and gateway) per network: IPv4 only");
    }
    let cfg = configs.first();
    if cfg
        .and_then(|c| c.ip_range.as_deref())
        .is_some_and(|r| !r.is_empty())
    {
        return bad("IPAM IPRange is not supported");
    }
    if cfg
        .and_then(|c| c.auxiliary_addresses.as_ref())
        .is_some_and(|a| !a.is_empty())
    {
        return bad("IPAM AuxiliaryAddresses are not supported");
    }
    let nonempty = |s: Option<&String>| s.filter(|s| !s.is_empty()).cloned();
    Ok(NetworkCreate {
        subnet: nonempty(cfg.and_then(|c| c.subnet.as_ref())),
        gateway: nonempty(cfg.and_then(|c| c.gateway.as_ref())),
        internal: b.internal.unwrap_or(false),
        labels: b.labels.clone().unwrap_or_default(),
        driver: nonempty(b.driver.as_ref()),
    })
}

/// `DELETE /networks/{id}`: 204; 403 for a predefined network or one with containers.
fn remove(ctx: &Ctx, id: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let n = match find(&e, id)? {
        Found::Predefined(p) => return Err(predefined(p)),
        Found::Record(n) if n.name == "bridge" => return Err(predefined("bridge")),
        Found::Record(n) => n,
    };
    match e.remove_network(&n.name) {
        Ok(_) => Reply::no_content(),
        Err(berth_engine::Error::Conflict(m)) => Err(ApiError::new(StatusCode::FORBIDDEN, m)),
        Err(err) => Err(err.into()),
    }
}

fn predefined(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        format!("{name} is a pre-defined network and cannot be removed"),
    )
}

/// `POST /networks/{id}/connect`'s body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct ConnectBody {
    container: Option<String>,
    endpoint_config: Option<EndpointConfig>,
    force: Option<bool>,
}

/// The endpoint settings berth honours.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct EndpointConfig {
    aliases: Option<Vec<String>>,
    #[serde(rename = "IPAMConfig")]
    ipam_config: Option<EndpointIpam>,
}

/// `EndpointConfig.IPAMConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EndpointIpam {
    #[serde(rename = "IPv4Address")]
    ipv4: Option<String>,
    #[serde(rename = "IPv6Address")]
    ipv6: Option<String>,
}

/// The body of connect or disconnect, with its container named.
fn connect_body(req: &mut Request) -> ApiResult<(ConnectBody, String)> {
    let b: Option<ConnectBody> = req.json()?;
    let b = b.unwrap_or_default();
    let c = b.container.clone().unwrap_or_default();
    if c.is_empty() {
        return Err(ApiError::bad_request("Container is required"));
    }
    Ok((b, c))
}

/// The bridge network of a connect or disconnect (403 for the predefined ones).
fn bridge_network(e: &Engine, id: &str) -> ApiResult<NetworkRecord> {
    match find(e, id)? {
        Found::Predefined(p) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("container cannot be connected to or disconnected from network {p}"),
        )),
        Found::Record(n) => Ok(n),
    }
}

/// `POST /networks/{id}/connect`.
fn connect(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let (b, container) = connect_body(req)?;
    let ep = b.endpoint_config.unwrap_or_default();
    let ipam = ep.ipam_config.unwrap_or_default();
    if ipam.ipv6.as_deref().is_some_and(|v| !v.is_empty()) {
        return Err(ApiError::bad_request(
            "IPv6 addresses are not supported by berth",
        ));
    }
    let e = ctx.engine()?;
    let n = bridge_network(&e, id)?;
    let r = e.container(&container)?;
    let ip = ipam.ipv4.filter(|v| !v.is_empty());
    e.connect_network(
        &n.name,
        &r.id,
        &ep.aliases.unwrap_or_default(),
        ip.as_deref(),
    )?;
    Ok(Reply::Empty(StatusCode::OK))
}

/// `POST /networks/{id}/disconnect`.
fn disconnect(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
    let (b, container) = connect_body(req)?;
    let e = ctx.engine()?;
    let n = bridge_network(&e, id)?;
    let r = match e.container(&container) {
        Ok(r) => r,
        Err(err) if b.force == Some(true) => {
            let _ = err;
            return Ok(Reply::Empty(StatusCode::OK));
        }
        Err(err) => return Err(err.into()),
    };
    e.disconnect_network(&n.name, &r.id)?;
    Ok(Reply::Empty(StatusCode::OK))
}

/// `POST /networks/prune?filters=`: `{"NetworksDeleted": [...]}`.
fn prune(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let f = req.query.filters()?;
    f.only(&["until", "label", "label!"])?;
    let filter = berth_engine::system::prune_filter::PruneFilter::parse(&f.as_pairs())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let e = ctx.engine()?;
    let names = e.prune_networks(&filter)?;
    Reply::ok(json!({"NetworksDeleted": names}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bodies() {
        let b: CreateBody = serde_json::from_str(
            r#"{"Name":"n","Driver":"bridge","Options":{},"Labels":{"a":"b"},
                "IPAM":{"Driver":"default","Options":{},"Config":[{"Subnet":"10.5.0.0/24","Gateway":"10.5.0.1"}]}}"#,
        )
        .unwrap();
        let o = create_options(&b).unwrap();
        assert_eq!(o.subnet.as_deref(), Some("10.5.0.0/24"));
        assert_eq!(o.gateway.as_deref(), Some("10.5.0.1"));
        assert_eq!(o.labels["a"], "b");
        let v6: CreateBody = serde_json::from_str(r#"{"Name":"n","EnableIPv6":true}"#).unwrap();
        assert_eq!(create_options(&v6).unwrap_err().status, 400);
        let opt: CreateBody = serde_json::from_str(r#"{"Name":"n","Options":{"x":"1"}}"#).unwrap();
        assert!(create_options(&opt).is_err());
    }

    #[test]
    fn list_filters() {
        let f = Filters::parse(r#"{"name":["fro"],"label":["tier=web"]}"#).unwrap();
        let lf = ListFilter::parse(&f).unwrap();
        let v = json!({"Name":"front","Id":"abc","Driver":"bridge","Labels":{"tier":"web"}});
        assert!(lf.matches(&v, false, true));
        let v2 = json!({"Name":"front","Id":"abc","Driver":"bridge","Labels":{}});
        assert!(!lf.matches(&v2, false, true));
        let d = Filters::parse(r#"{"dangling":["true"]}"#).unwrap();
        let ld = ListFilter::parse(&d).unwrap();
        assert!(ld.matches(&v, false, true) && !ld.matches(&v, true, true));
        assert!(ListFilter::parse(&Filters::parse(r#"{"dangling":["maybe"]}"#).unwrap()).is_err());
        assert!(ListFilter::parse(&Filters::parse(r#"{"type":["x"]}"#).unwrap()).is_err());
    }
}

//! Network routes: list, inspect, create, remove, connect, disconnect and prune, in
//! dockerd's shapes, on the engine's bridge networks plus the predefined `host` and `none`.

use berth_engine::containers::{brief, ContainerBrief};
use berth_engine::network::manage::{predefined_id, PREDEFINED};
use berth_engine::network::NetworkRecord;
use berth_engine::Engine;
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};
use crate::routes::encode::stable_hex;

mod connect;
mod create;
mod list;

use connect::{connect, disconnect};
use create::create;
pub(crate) use create::{create_options, CreateBody};
use list::list;

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

/// dockerd's network object for a bridge network, with its containers among `ctrs` (the
/// records' listing fields, read once per request: `brief::list`).
fn network_json(n: &NetworkRecord, ctrs: &[ContainerBrief]) -> ApiResult<Value> {
    let mut containers = serde_json::Map::new();
    for r in ctrs {
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
        "Options": options(n),
        "Labels": n.labels,
    }))
}

/// A network's driver options as dockerd shows them: only those given at creation (a
/// bridge name berth chose itself is not one; docker-compose 1.x recreates a network whose
/// options differ from its file's).
fn options(n: &NetworkRecord) -> Value {
    if n.id
        .get(..12)
        .is_some_and(|short| n.bridge == format!("br-{short}"))
    {
        json!({})
    } else {
        json!({"com.docker.network.bridge.name": n.bridge})
    }
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
        Found::Record(n) => Reply::ok(network_json(&n, &brief::list(&e.db)?)?),
    }
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

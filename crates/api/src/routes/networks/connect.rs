//! `POST /networks/{id}/connect` and `/disconnect`.

use berth_engine::network::NetworkRecord;
use berth_engine::Engine;
use hyper::StatusCode;
use serde::Deserialize;

use super::{find, Found};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

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
pub(super) fn connect(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
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
pub(super) fn disconnect(ctx: &Ctx, req: &mut Request, id: &str) -> ApiResult<Reply> {
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

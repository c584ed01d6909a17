//! `POST /networks/create`: the body onto the engine's network options.

use std::collections::BTreeMap;

use berth_engine::network::manage::PREDEFINED;
use berth_engine::network::NetworkCreate;
use hyper::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

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
pub(super) fn create(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
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
}

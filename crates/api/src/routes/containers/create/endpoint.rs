//! `NetworkingConfig.EndpointsConfig` onto the engine's options.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use berth_engine::spec::{NetworkMode, RunOptions};

/// The body's `NetworkingConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct NetworkingConfig {
    endpoints_config: Option<BTreeMap<String, Option<Endpoint>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Endpoint {
    aliases: Option<Vec<String>>,
    #[serde(rename = "IPAMConfig")]
    ipam_config: Option<Ipam>,
    mac_address: Option<String>,
    links: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Ipam {
    #[serde(rename = "IPv4Address")]
    ipv4: Option<String>,
    #[serde(rename = "IPv6Address")]
    ipv6: Option<String>,
}

/// `NetworkingConfig.EndpointsConfig`: the aliases and address on the container's network.
pub(super) fn endpoint_into(n: Option<&NetworkingConfig>, o: &mut RunOptions) -> ApiResult<()> {
    let Some(eps) = n.and_then(|n| n.endpoints_config.as_ref()) else {
        return Ok(());
    };
    if eps.len() > 1 {
        return Err(ApiError::bad_request(
            "berth creates a container on one network: connect it to more with POST /networks/{id}/connect",
        ));
    }
    let Some((net, ep)) = eps.iter().next() else {
        return Ok(());
    };
    let mode_name = match &o.network {
        NetworkMode::Default => "bridge".to_string(),
        NetworkMode::Named(n) => n.clone(),
        NetworkMode::None => "none".into(),
        NetworkMode::Host => "host".into(),
        NetworkMode::Container(c) => format!("container:{c}"),
    };
    if net != &mode_name {
        if o.network == NetworkMode::Default {
            o.network = NetworkMode::parse(net);
        } else {
            return Err(ApiError::bad_request(format!(
                "NetworkingConfig names network {net:?} but HostConfig.NetworkMode is {mode_name:?}"
            )));
        }
    }
    let Some(ep) = ep else { return Ok(()) };
    if ep.links.as_ref().is_some_and(|l| !l.is_empty()) {
        return Err(ApiError::bad_request(
            "container links are not supported by berth",
        ));
    }
    if ep.mac_address.as_deref().is_some_and(|m| !m.is_empty()) {
        return Err(ApiError::bad_request(
            "EndpointsConfig.MacAddress is not supported by berth",
        ));
    }
    o.network_aliases = ep.aliases.clone().unwrap_or_default();
    if let Some(ipam) = &ep.ipam_config {
        if ipam.ipv6.as_deref().is_some_and(|a| !a.is_empty()) {
            return Err(ApiError::bad_request(
                "IPAMConfig.IPv6Address is not supported by berth",
            ));
        }
        o.ip = ipam.ipv4.clone().filter(|a| !a.is_empty());
    }
    let bridged = matches!(o.network, NetworkMode::Named(_));
    if !bridged && (!o.network_aliases.is_empty() || o.ip.is_some()) {
        return Err(ApiError::bad_request(
            "network-scoped aliases and IPv4Address are only supported for user-defined networks",
        ));
    }
    Ok(())
}

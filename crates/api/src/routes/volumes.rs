//! Volume routes: list, create, inspect, remove and prune, in dockerd's shapes.

use std::collections::BTreeMap;

use berth_engine::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

/// The volume routes.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("GET", ["volumes"]) => list(ctx, req),
        ("POST", ["volumes", "create"]) => create(ctx, req),
        ("POST", ["volumes", "prune"]) => prune(ctx, req),
        ("GET", ["volumes", name]) => inspect(ctx, name),
        ("DELETE", ["volumes", name]) => remove(ctx, req, name),
        _ => return None,
    })
}

/// `GET /volumes/{name}`.
fn inspect(ctx: &Ctx, name: &str) -> ApiResult<Reply> {
    Reply::ok(ctx.engine()?.inspect_volume(name)?)
}

/// `GET /volumes?filters=`: `{"Volumes": [...], "Warnings": []}`.
fn list(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let f = req.query.filters()?;
    f.only(&["name", "label", "dangling", "driver"])?;
    let dangling = f.one_bool("dangling")?;
    let e = ctx.engine()?;
    let mut out = Vec::new();
    // What containers mount, read once for `dangling` rather than once per volume.
    let used = match dangling {
        Some(_) => e.mounted_volumes()?,
        None => Default::default(),
    };
    for v in e.volumes()? {
        let names = f.get("name");
        let drivers = f.get("driver");
        if (!names.is_empty() && !names.iter().any(|n| v.name.contains(n.as_str())))
            || (!drivers.is_empty() && !drivers.iter().any(|d| d == "local"))
            || !f.labels_match(&v.labels)
        {
            continue;
        }
        if let Some(d) = dangling {
            if used.contains(&v.name) == d {
                continue;
            }
        }
        out.push(e.inspect_volume(&v.name)?);
    }
    Reply::ok(json!({"Volumes": out, "Warnings": []}))
}

/// `POST /volumes/create`'s body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(crate) struct CreateBody {
    name: Option<String>,
    driver: Option<String>,
    driver_opts: Option<BTreeMap<String, String>>,
    labels: Option<BTreeMap<String, String>>,
}

/// `POST /volumes/create`: 201 with the volume.
fn create(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let (name, labels) = create_options(req.json()?)?;
    let e = ctx.engine()?;
    let name = match name {
        Some(n) => n,
        None => berth_engine::ids::random_id()?,
    };
    e.create_volume(&name, &labels, false)?;
    Reply::created(e.inspect_volume(&name)?)
}

/// The name (if given) and labels of a create body; a 404 for another driver, as
/// dockerd's, and a 400 for driver options.
pub(crate) fn create_options(
    b: Option<CreateBody>,
) -> ApiResult<(Option<String>, BTreeMap<String, String>)> {
    let b = b.unwrap_or_default();
    if let Some(d) = b
        .driver
        .as_deref()
        .filter(|d| !d.is_empty() && *d != "local")
    {
        return Err(ApiError::not_found(format!(
            "error looking up volume plugin {d}: plugin \"{d}\" not found"
        )));
    }
    if let Some((k, _)) = b.driver_opts.as_ref().and_then(|o| o.iter().next()) {
        return Err(ApiError::bad_request(format!(
            "volume driver option {k:?} is not supported by berth's local driver"
        )));
    }
    Ok((
        b.name.filter(|n| !n.is_empty()),
        b.labels.unwrap_or_default(),
    ))
}

/// `DELETE /volumes/{name}?force=`: 204; 409 while a container uses it; `force` only
/// quiets a missing volume, as dockerd's.
fn remove(ctx: &Ctx, req: &Request, name: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    match e.remove_volume(name, false) {
        Ok(()) => Reply::no_content(),
        Err(berth_engine::Error::NoSuchVolume(_)) if req.query.bool("force") => Reply::no_content(),
        Err(err) => Err(err.into()),
    }
}

/// `POST /volumes/prune?filters=`: unused volumes (every one before API 1.42, as dockerd
/// 20.10 did; anonymous ones only from 1.42 unless `all`).
fn prune(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let mut f = req.query.filters()?;
    f.only(&["label", "label!", "all", "until"])?;
    let all = f.one_bool("all")?.unwrap_or(!req.version.at_least(1, 42));
    f.0.remove("all");
    let filter = berth_engine::system::prune_filter::PruneFilter::parse(&f.as_pairs())
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let e: Engine = ctx.engine()?;
    let (names, bytes) = e.prune_volumes(all, &filter)?;
    Reply::ok(json!({"VolumesDeleted": names, "SpaceReclaimed": bytes}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body() {
        let b: CreateBody = serde_json::from_str(
            r#"{"Name":"v","Driver":"local","DriverOpts":{},"Labels":{"a":"1"}}"#,
        )
        .unwrap();
        assert_eq!(b.name.as_deref(), Some("v"));
        assert_eq!(b.labels.unwrap()["a"], "1");
    }
}

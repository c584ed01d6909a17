//! `GET /system/df`: disk usage in dockerd's shape (layers, images, containers, volumes,
//! build cache), from the engine's `system df` measurement.

use berth_engine::images::index::ImageRow;
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{Reply, Request};
use crate::routes::encode::unix_secs;

/// The disk-usage route.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    Some(match (req.method.as_str(), segs) {
        ("GET", ["system", "df"]) => df(ctx),
        _ => return None,
    })
}

/// `GET /system/df`.
fn df(ctx: &Ctx) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let du = e.disk_usage()?;
    let images: Vec<Value> = du
        .images
        .iter()
        .map(|i| {
            let mut v = image_summary(&i.row);
            v["Size"] = json!(i.size);
            v["VirtualSize"] = json!(i.size);
            v["SharedSize"] = json!(i.shared);
            v["Containers"] = json!(i.containers);
            v
        })
        .collect();
    let image_sizes: std::collections::HashMap<&str, u64> = du
        .images
        .iter()
        .map(|i| (i.row.id.as_str(), i.size))
        .collect();
    let containers: Vec<Value> = du
        .containers
        .iter()
        .map(|c| {
            let mut v = crate::routes::containers::list::summary(&c.record, &c.state);
            let image_size = image_sizes
                .get(c.record.image_id.as_str())
                .copied()
                .unwrap_or(0);
            v["SizeRw"] = json!(c.size);
            v["SizeRootFs"] = json!(c.size + image_size);
            v
        })
        .collect();
    let volumes: Vec<Value> = du
        .volumes
        .iter()
        .map(|u| {
            let mut v = e
                .inspect_volume(&u.name)
                .unwrap_or_else(|_| json!({"Name": u.name, "Driver": "local", "Scope": "local"}));
            v["UsageData"] = json!({"Size": u.size, "RefCount": u.links});
            v
        })
        .collect();
    Reply::ok(json!({
        "LayersSize": du.images_size,
        "Images": images,
        "Containers": containers,
        "Volumes": volumes,
        "BuildCache": build_cache(du.build_cache_entries, du.build_cache_size),
    }))
}

/// dockerd's `ImageSummary` of an index row.
fn image_summary(row: &ImageRow) -> Value {
    let tags: Vec<String> = row
        .tags
        .iter()
        .map(|t| berth_engine::reference::familiar(t))
        .collect();
    let created = row.created.as_deref().map_or(row.added, unix_secs);
    json!({
        "Id": format!("sha256:{}", row.id),
        "ParentId": "",
        "RepoTags": tags,
        "RepoDigests": [],
        "Created": created,
        "Size": row.size,
        "SharedSize": 0,
        "VirtualSize": row.size,
        "Labels": {},
        "Containers": 0,
    })
}

/// The build cache as dockerd's records: the engine knows how many entries there are and
/// their total size, so the first record carries the size (the CLI sums them).
fn build_cache(entries: usize, size: u64) -> Vec<Value> {
    (0..entries)
        .map(|i| {
            json!({
                "ID": format!("berth-cache-{i}"),
                "Parent": "",
                "Type": "regular",
                "Description": "berth build cache",
                "InUse": false,
                "Shared": false,
                "Size": if i == 0 { size } else { 0 },
                "CreatedAt": crate::routes::encode::ZERO_TIME,
                "LastUsedAt": null,
                "UsageCount": 0,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_cache_sums_to_the_total() {
        let c = build_cache(3, 100);
        assert_eq!(c.len(), 3);
        let total: u64 = c.iter().filter_map(|v| v["Size"].as_u64()).sum();
        assert_eq!(total, 100);
        assert!(build_cache(0, 0).is_empty());
    }
}

//! Local image routes: `GET /images/json`, `GET /images/{name}/json`,
//! `GET /images/{name}/history`, `POST /images/{name}/tag`, `DELETE /images/{name}` and
//! `POST /images/prune`, in dockerd's shapes.

use berth_engine::images::index;
use berth_engine::images::remove::Removed;
use berth_engine::reference::{familiar, Reference};
use berth_engine::system::prune_filter::PruneFilter;
use berth_engine::Engine;
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};
use crate::routes::encode::unix_secs;

/// `GET /images/json?all=&filters=&digests=`.
pub fn list(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let filters = req.query.filters()?;
    filters.only(&["dangling", "label", "reference", "before", "since"])?;
    let dangling = filters.one_bool("dangling")?;
    let e = ctx.engine()?;
    let before = bound(&e, filters.get("before"))?;
    let since = bound(&e, filters.get("since"))?;
    let mut out = Vec::new();
    for img in index::list(&e.db)? {
        if dangling.is_some_and(|d| d != img.tags.is_empty()) {
            continue;
        }
        let key = (img.created.clone(), img.added);
        if before.as_ref().is_some_and(|b| key >= *b) || since.as_ref().is_some_and(|s| key <= *s) {
            continue;
        }
        let patterns = filters.get("reference");
        // With a reference filter only the matching names are listed (dockerd's way).
        let names: Vec<&String> = img
            .tags
            .iter()
            .filter(|t| patterns.is_empty() || reference_matches(patterns, t))
            .collect();
        if !patterns.is_empty() && names.is_empty() {
            continue;
        }
        let labels = e
            .image_by_id(&img.id)
            .ok()
            .and_then(|i| i.config.config.labels)
            .unwrap_or_default();
        if !filters
            .get("label")
            .iter()
            .all(|l| match l.split_once('=') {
                Some((k, v)) => labels.get(k).map(String::as_str) == Some(v),
                None => labels.contains_key(l.as_str()),
            })
        {
            continue;
        }
        let mut tags: Vec<String> = names.iter().map(|t| familiar(t)).collect();
        let mut digests: Vec<String> = index::repo_digests_of(&e.db, &img.id)?
            .iter()
            .filter(|d| patterns.is_empty() || reference_matches(patterns, d))
            .map(|d| familiar(d))
            .collect();
        if tags.is_empty() && digests.is_empty() {
            tags.push("<none>:<none>".into());
            digests.push("<none>@<none>".into());
        }
        out.push(json!({
            "Id": format!("sha256:{}", img.id),
            "ParentId": "",
            "RepoTags": tags,
            "RepoDigests": digests,
            "Created": img.created.as_deref().map_or(0, unix_secs),
            "Size": img.size,
            "SharedSize": -1,
            "VirtualSize": img.size,
            "Labels": if labels.is_empty() { Value::Null } else { json!(labels) },
            "Containers": -1,
        }));
    }
    out.sort_by_key(|v| std::cmp::Reverse(v["Created"].as_i64().unwrap_or(0)));
    Reply::ok(Value::Array(out))
}

/// Whether the name matches a `reference` filter pattern (with or without its tag, as
/// dockerd's `FamiliarMatch`).
pub(crate) fn reference_matches(patterns: &[String], name: &str) -> bool {
    let Ok(r) = Reference::parse(name) else {
        return false;
    };
    patterns
        .iter()
        .any(|pat| glob_match(pat, &r.familiar()) || glob_match(pat, &r.familiar_name()))
}

/// `before=`/`since=`: the (created, added) key of the image named.
fn bound(e: &Engine, vals: &[String]) -> ApiResult<Option<(Option<String>, i64)>> {
    let Some(v) = vals.first() else {
        return Ok(None);
    };
    let id = e.resolve_image_id(v)?;
    let row = index::get(&e.db, &id)?
        .ok_or_else(|| ApiError::not_found(format!("No such image: {v}")))?;
    Ok(Some((row.created, row.added)))
}

/// Go's `path.Match` for the common cases: `*` (no `/`), `?`, literal characters.
pub fn glob_match(pat: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') => (0..=s.len())
                .take_while(|&i| i == 0 || s[i - 1] != '/')
                .any(|i| go(&p[1..], &s[i..])),
            Some('?') => s.first().is_some_and(|c| *c != '/') && go(&p[1..], &s[1..]),
            Some(c) => s.first() == Some(c) && go(&p[1..], &s[1..]),
        }
    }
    let p: Vec<char> = pat.chars().collect();
    let s: Vec<char> = s.chars().collect();
    go(&p, &s)
}

/// `GET /images/{name}/json`.
pub fn inspect(ctx: &Ctx, name: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let mut v = e.inspect_image(name)?;
    let config = v.get("Config").cloned().unwrap_or(Value::Null);
    let size = v.get("Size").cloned().unwrap_or(json!(0));
    if let Some(obj) = v.as_object_mut() {
        obj.entry("VirtualSize").or_insert(size);
        obj.entry("Container").or_insert(json!(""));
        obj.entry("DockerVersion").or_insert(json!(""));
        obj.entry("ContainerConfig").or_insert(config);
        obj.entry("GraphDriver")
            .or_insert(json!({"Name": "overlay2", "Data": null}));
    }
    Reply::ok(v)
}

/// `GET /images/{name}/history`.
pub fn history(ctx: &Ctx, name: &str) -> ApiResult<Reply> {
    let e = ctx.engine()?;
    let id = e.resolve_image_id(name)?;
    let tags: Vec<String> = index::tags_of(&e.db, &id)?
        .iter()
        .map(|t| familiar(t))
        .collect();
    let rows = e.image_history(name)?;
    let out: Vec<Value> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            json!({
                "Id": r["ID"],
                "Created": r["CreatedAt"].as_str().map_or(0, unix_secs),
                "CreatedBy": r["CreatedBy"],
                "Tags": if i == 0 && !tags.is_empty() { json!(tags) } else { Value::Null },
                "Size": r["Size"],
                "Comment": r["Comment"],
            })
        })
        .collect();
    Reply::ok(Value::Array(out))
}

/// `POST /images/{name}/tag?repo=&tag=` (201).
pub fn tag(ctx: &Ctx, req: &mut Request, name: &str) -> ApiResult<Reply> {
    let repo = req.query.get("repo").unwrap_or_default();
    if repo.is_empty() {
        return Err(ApiError::bad_request(
            "repository name must have at least one component",
        ));
    }
    let target = match req.query.get("tag") {
        Some(t) if !t.is_empty() => format!("{repo}:{t}"),
        _ => repo.to_string(),
    };
    Reference::parse(&target).map_err(|e| ApiError::bad_request(e.to_string()))?;
    ctx.engine()?.tag_image(name, &target)?;
    Ok(Reply::Empty(StatusCode::CREATED))
}

/// `DELETE /images/{name}?force=&noprune=`.
pub fn remove(ctx: &Ctx, req: &mut Request, name: &str) -> ApiResult<Reply> {
    let force = req.query.bool("force");
    let removed = ctx.engine()?.remove_image(name, force)?;
    Reply::ok(Value::Array(removed_items(&removed)))
}

/// `[{"Untagged": ..}, {"Deleted": ..}]`.
fn removed_items(r: &Removed) -> Vec<Value> {
    r.untagged
        .iter()
        .map(|u| json!({"Untagged": u}))
        .chain(r.deleted.iter().map(|d| json!({"Deleted": d})))
        .collect()
}

/// `POST /images/prune?filters=` (dangling=false prunes every unused image).
pub fn prune(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let mut filters = req.query.filters()?;
    filters.only(&["dangling", "until", "label", "label!"])?;
    let all = filters.one_bool("dangling")?.is_some_and(|d| !d);
    filters.0.remove("dangling");
    let pairs: Vec<String> = filters
        .0
        .iter()
        .flat_map(|(k, vs)| {
            vs.iter().map(move |v| match k.as_str() {
                "label!" => format!("label!={v}"),
                _ => format!("{k}={v}"),
            })
        })
        .collect();
    let pf = PruneFilter::parse(&pairs).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let (r, reclaimed) = ctx.engine()?.prune_images(all, &pf)?;
    let items = removed_items(&r);
    Reply::ok(json!({
        "ImagesDeleted": if items.is_empty() { Value::Null } else { Value::Array(items) },
        "SpaceReclaimed": reclaimed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("busy*", "busybox"));
        assert!(glob_match("busybox:*", "busybox:latest"));
        assert!(!glob_match("a*", "a/b"));
        assert!(glob_match("a/*", "a/b"));
        assert!(glob_match("b?sybox", "busybox"));
        assert!(!glob_match("x", "busybox"));
    }
}

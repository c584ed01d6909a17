//! `POST /commit?container=&repo=&tag=&comment=&author=&changes=&pause=`: a container's
//! changes (its overlay upper directory) as one more layer on its image, with the
//! container's configuration and the `changes` applied (201 `{"Id": "sha256:.."}`). The
//! work is file I/O only (no fork, no namespace change); a running container is paused
//! (its cgroup frozen) while its changes are copied, unless `pause=false`.

use berth_engine::containers::rootfs::RootfsDirs;
use berth_engine::images::changes::apply_change;
use berth_engine::lock::Lock;
use berth_engine::reference::Reference;
use berth_store::diff::{write_layer_to_blobs, DiffOptions};
use berth_store::import::now_rfc3339;
use berth_store::oci::{ContainerConfig, History};
use serde_json::{json, Value};

use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};

/// The container configuration keys an image keeps.
const KEPT: [&str; 8] = [
    "Cmd",
    "Entrypoint",
    "Env",
    "WorkingDir",
    "User",
    "Labels",
    "ExposedPorts",
    "StopSignal",
];

/// `POST /commit`.
pub fn commit(ctx: &Ctx, req: &mut Request) -> ApiResult<Reply> {
    let q = req.query.clone();
    let container = q.get("container").unwrap_or_default();
    if container.is_empty() {
        return Err(ApiError::bad_request("container is required"));
    }
    let name = match (q.get("repo").filter(|r| !r.is_empty()), q.get("tag")) {
        (Some(r), Some(t)) if !t.is_empty() => Some(format!("{r}:{t}")),
        (Some(r), _) => Some(r.to_string()),
        (None, Some(t)) if !t.is_empty() => {
            return Err(ApiError::bad_request("a tag needs a repository (repo=)"))
        }
        _ => None,
    };
    if let Some(n) = &name {
        Reference::parse(n).map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    let changes: Vec<String> = q
        .all("changes")
        .iter()
        .flat_map(|c| c.lines())
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    let comment = q.get("comment").filter(|c| !c.is_empty()).map(String::from);
    let author = q.get("author").filter(|a| !a.is_empty()).map(String::from);
    // The body may carry configuration to use over the container's.
    let body: Value = req.json()?;

    let mut e = ctx.engine()?;
    let rec = e.container(container)?;
    let image = e.image_by_id(&rec.image_id)?;
    let mut config = image.config.clone();
    merge(&mut config.config, &rec.config)?;
    if body.is_object() {
        merge(&mut config.config, &body)?;
    }
    for c in &changes {
        apply_change(&mut config.config, c).map_err(|e| ApiError::bad_request(e.to_string()))?;
    }
    let _lock = Lock::shared(&e.paths.locks(), "store")?;
    let upper = RootfsDirs::of(&e.paths.container(&rec.id)).upper;
    let mut layers = image.manifest.layers.clone();
    let now = now_rfc3339();
    let has_changes = std::fs::read_dir(&upper)
        .map(|mut d| d.next().is_some())
        .unwrap_or(false);
    if has_changes {
        // dockerd pauses a running container (pause=true, the default) while it copies.
        let state = e.state(&rec);
        let paused = q.bool_or("pause", true)
            && state.is_running()
            && state.status != "paused"
            && e.set_paused(&rec, true).is_ok();
        let written = write_layer_to_blobs(&e.blobs, &upper, &DiffOptions::default());
        if paused {
            let _ = e.set_paused(&rec, false);
        }
        let (desc, stats) =
            written.map_err(|err| ApiError::internal(format!("commit {container}: {err}")))?;
        layers.push(desc);
        config.rootfs.diff_ids.push(stats.diff_id);
    }
    config.history.push(History {
        created: Some(now.clone()),
        created_by: Some(created_by(&rec.path, &rec.args)),
        author: author.clone(),
        comment: comment.clone(),
        empty_layer: !has_changes,
    });
    config.created = Some(now);
    if author.is_some() {
        config.author = author;
    }
    let tags: Vec<String> = name.into_iter().collect();
    let (id, _) = e.commit_built_image(&config, &layers, &tags)?;
    Reply::created(json!({"Id": format!("sha256:{id}")}))
}

/// The container's (or the body's) configuration over the image's, for the keys an image
/// keeps.
pub(crate) fn merge(cfg: &mut ContainerConfig, source: &Value) -> ApiResult<()> {
    let picked: serde_json::Map<String, Value> = KEPT
        .iter()
        .filter_map(|k| {
            source
                .get(*k)
                .filter(|v| !v.is_null())
                .map(|v| (k.to_string(), v.clone()))
        })
        .collect();
    let c: ContainerConfig = serde_json::from_value(Value::Object(picked))
        .map_err(|e| ApiError::bad_request(format!("invalid container configuration: {e}")))?;
    macro_rules! take {
        ($($f:ident),*) => { $( if c.$f.is_some() { cfg.$f = c.$f.clone(); } )* };
    }
    take!(
        cmd,
        entrypoint,
        env,
        working_dir,
        user,
        labels,
        exposed_ports,
        stop_signal
    );
    Ok(())
}

/// dockerd's `CreatedBy` of a commit: the container's command.
fn created_by(path: &str, args: &[String]) -> String {
    let mut parts = vec![path.to_string()];
    parts.extend(args.iter().cloned());
    parts.join(" ").trim().to_string()
}

//! Image routes: listing and inspecting (`local`), pull and push (`transfer`, with
//! `progress` for its JSON lines), login/distribution/search and registry credentials
//! (`registry`), save/load/import (`archive`), `commit` and the legacy builder (`build`).
//!
//! Image names may hold slashes and a tag (`/images/localhost:5000/a/b:tag/json`), so the
//! per-image routes match the path by its last segment and join the rest as the name.

use crate::ctx::Ctx;
use crate::error::ApiResult;
use crate::http::{Reply, Request};

mod archive;
mod build;
pub(crate) mod build_input;
pub(crate) mod commit;
pub(crate) mod local;
mod progress;
pub(crate) mod registry;
mod transfer;

/// The image routes.
pub fn route(ctx: &Ctx, req: &mut Request, segs: &[&str]) -> Option<ApiResult<Reply>> {
    let method = req.method.as_str();
    Some(match (method, segs) {
        ("GET", ["images", "json"]) => local::list(ctx, req),
        ("POST", ["images", "prune"]) => local::prune(ctx, req),
        ("POST", ["images", "create"]) => transfer::create(ctx, req),
        ("POST", ["images", "load"]) => archive::load(ctx, req),
        ("GET", ["images", "get"]) => {
            let names = req
                .query
                .all("names")
                .iter()
                .map(|s| s.to_string())
                .collect();
            archive::save(ctx, names)
        }
        ("GET" | "POST", ["images", "search"]) => registry::search(req),
        ("POST", ["auth"]) => registry::auth(req),
        ("POST", ["build"]) => build::build(ctx, req),
        ("POST", ["commit"]) => commit::commit(ctx, req),
        ("GET", ["distribution", rest @ .., "json"]) if !rest.is_empty() => {
            registry::distribution(req, &name(rest))
        }
        ("GET", ["images", rest @ .., "json"]) if !rest.is_empty() => {
            local::inspect(ctx, &name(rest))
        }
        ("GET", ["images", rest @ .., "history"]) if !rest.is_empty() => {
            local::history(ctx, &name(rest))
        }
        ("GET", ["images", rest @ .., "get"]) if !rest.is_empty() => {
            archive::save(ctx, vec![name(rest)])
        }
        ("POST", ["images", rest @ .., "tag"]) if !rest.is_empty() => {
            local::tag(ctx, req, &name(rest))
        }
        ("POST", ["images", rest @ .., "push"]) if !rest.is_empty() => {
            transfer::push(ctx, req, &name(rest))
        }
        ("DELETE", ["images", rest @ ..]) if !rest.is_empty() => {
            local::remove(ctx, req, &name(rest))
        }
        _ => return None,
    })
}

/// The image name the path segments before the last spell, percent-decoded (clients may
/// escape `@` and `:`; an escape that is no UTF-8 stays as it was).
pub(crate) fn name(segs: &[&str]) -> String {
    let joined = segs.join("/");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_decoded() {
        assert_eq!(
            name(&["localhost:5000", "a", "b:1"]),
            "localhost:5000/a/b:1"
        );
        assert_eq!(name(&["busybox%40sha256%3Aab"]), "busybox@sha256:ab");
        assert_eq!(name(&["x%zz"]), "x%zz");
    }
}

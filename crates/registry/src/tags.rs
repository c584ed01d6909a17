//! Listing a repository's tags (`pull -a`, `push -a`).

use crate::auth::Scope;
use crate::client::{registry_error, Body, Registry};
use crate::error::{Error, Result};

/// `GET /v2/<repo>/tags/list`: every tag of a repository (following `Link` pages).
pub fn list_tags(reg: &Registry, repository: &str) -> Result<Vec<String>> {
    #[derive(serde::Deserialize)]
    struct Tags {
        #[serde(default)]
        tags: Option<Vec<String>>,
    }
    let mut out = Vec::new();
    let mut path = format!("/v2/{repository}/tags/list");
    let mut seen = std::collections::HashSet::from([path.clone()]);
    for _ in 0..1000 {
        let resp = reg.send("GET", &path, &[Scope::pull(repository)], &[], Body::Empty)?;
        if !(200..300).contains(&resp.status().as_u16()) {
            return Err(registry_error(resp));
        }
        let next = resp
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| l.split(';').next())
            .map(|l| {
                l.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            });
        let body = resp
            .into_body()
            .with_config()
            .limit(16 << 20)
            .read_to_vec()
            .map_err(|e| Error::Transport {
                url: path.clone(),
                reason: crate::http::describe(&e),
            })?;
        let tags: Tags = serde_json::from_slice(&body)
            .map_err(|e| Error::BadManifest(format!("the tag list of {repository}: {e}")))?;
        out.extend(tags.tags.unwrap_or_default());
        match next {
            Some(n) if !n.is_empty() => {
                // A `Link` back to a page already listed would loop (and repeat its tags).
                if !seen.insert(n.clone()) {
                    return Err(Error::BadManifest(format!(
                        "the tag list of {repository}: its pages loop (next is {n} again)"
                    )));
                }
                path = n
            }
            _ => break,
        }
    }
    Ok(out)
}

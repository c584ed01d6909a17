//! Mount points the runtime creates for a RUN step's mounts: found before the step and
//! removed after it, so they do not end up in the layer.

use std::fs;
use std::path::Path;

use crate::context::SourceTree;
use crate::runner::StepMount;

/// Mount targets missing from `rootfs` before a step, as (shallowest missing path, target),
/// both relative: the runtime creates them as empty mount points, which must not end up
/// in the layer (BuildKit removes them too).
pub(super) fn missing_targets(rootfs: &Path, mounts: &[StepMount]) -> Vec<(String, String)> {
    let tree = SourceTree {
        root: rootfs,
        ignore: None,
        context: false,
    };
    let exists = |rel: &str| {
        crate::context::source_path(
            &tree,
            &crate::context::Source {
                rel: rel.to_string(),
                is_dir: false,
                ..Default::default()
            },
        )
        .is_ok_and(|p| p.symlink_metadata().is_ok())
    };
    let mut out = Vec::new();
    for m in mounts {
        let target = match m {
            StepMount::Bind { target, .. } | StepMount::Tmpfs { target, .. } => target,
        };
        let rel = target.trim_matches('/');
        if rel.is_empty() || rel.starts_with("dev/") || rel == "dev" {
            continue;
        }
        let mut prefix = String::new();
        for part in rel.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(part);
            if !exists(&prefix) {
                out.push((prefix.clone(), rel.to_string()));
                break;
            }
        }
    }
    out
}

/// Removes the empty mount points [`missing_targets`] found, and the directories created
/// for them, resolving paths inside `rootfs` only.
pub(super) fn remove_stubs(rootfs: &Path, stubs: &[(String, String)]) {
    let tree = SourceTree {
        root: rootfs,
        ignore: None,
        context: false,
    };
    for (top, target) in stubs {
        let mut rel = target.as_str();
        loop {
            let source = crate::context::Source {
                rel: rel.to_string(),
                is_dir: false,
                ..Default::default()
            };
            if let Ok(p) = crate::context::source_path(&tree, &source) {
                match p.symlink_metadata() {
                    Ok(m) if m.is_file() && m.len() == 0 => {
                        let _ = fs::remove_file(&p);
                    }
                    Ok(m) if m.is_dir() => {
                        let _ = fs::remove_dir(&p);
                    }
                    _ => {}
                }
            }
            if rel == top {
                break;
            }
            match rel.rfind('/') {
                Some(i) => rel = &rel[..i],
                None => break,
            }
        }
    }
}

//! Resolving a path inside a container's rootfs the way the container would see it: every
//! symlink is followed relative to the rootfs, never to the host.

use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// `path` (absolute in the container) resolved under `root`; components that do not exist
/// yet are appended as they are.
pub fn resolve_in_root(root: &Path, path: &str) -> Result<PathBuf> {
    let mut todo: Vec<String> = components(path);
    todo.reverse();
    let mut done: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(c) = todo.pop() {
        match c.as_str() {
            "." | "" => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => {}
        }
        let candidate = root.join(done.join("/")).join(&c);
        match fs::symlink_metadata(&candidate) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > 40 {
                    return Err(Error::Invalid(format!(
                        "too many symlinks resolving {path} in the container"
                    )));
                }
                let target = fs::read_link(&candidate)
                    .map_err(crate::error::io_err("readlink", &candidate))?;
                let t = target.to_string_lossy().into_owned();
                if t.starts_with('/') {
                    done.clear();
                }
                let mut more = components(&t);
                more.reverse();
                todo.extend(more);
            }
            _ => done.push(c),
        }
    }
    Ok(root.join(done.join("/")))
}

fn components(p: &str) -> Vec<String> {
    Path::new(p)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_stay_inside() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        fs::create_dir_all(root.join("real/data")).unwrap();
        std::os::unix::fs::symlink("/real", root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../../../etc", root.join("up")).unwrap();
        assert_eq!(
            resolve_in_root(root, "/abs/data").unwrap(),
            root.join("real/data")
        );
        assert_eq!(
            resolve_in_root(root, "/up/passwd").unwrap(),
            root.join("etc/passwd")
        );
        assert_eq!(resolve_in_root(root, "/../../x").unwrap(), root.join("x"));
    }
}

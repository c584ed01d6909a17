//! Go's `path/filepath.Clean` for `/`-separated paths (Linux).

/// Lexically cleans `path`: collapses `//`, drops `.` elements, resolves `..` against the
/// preceding element, drops `..` at the root, and returns `.` for an empty result.
pub(crate) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    // Leading `..` elements of a relative path that cannot be resolved.
    let mut dotdots = 0usize;
    for elem in path.split('/') {
        match elem {
            "" | "." => {}
            ".." => {
                if parts.len() > dotdots {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                    dotdots += 1;
                }
            }
            e => parts.push(e),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn matches_go() {
        for (i, o) in [
            ("", "."),
            ("/", "/"),
            ("a//b/./c/", "a/b/c"),
            ("a/../..", ".."),
            ("../a/../../b", "../../b"),
            ("/../a", "/a"),
            ("./a", "a"),
            ("a/b/..", "a"),
            ("!foo/..", "."),
        ] {
            assert_eq!(clean(i), o, "{i}");
        }
    }
}

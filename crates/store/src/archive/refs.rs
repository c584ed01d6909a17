//! Image names as archives carry them: Docker's familiar form (`busybox:latest`) in
//! docker-archive `RepoTags`, full references (`docker.io/library/busybox:latest`) elsewhere.

/// The registry Docker assumes when a name has none.
const DEFAULT_DOMAIN: &str = "docker.io";

/// Normalizes a reference the way Docker does: a registry domain (default `docker.io`),
/// `library/` for official images, and `:latest` when there is neither tag nor digest.
/// Returns `None` for something that is not a valid reference.
pub(crate) fn normalize(name: &str) -> Option<String> {
    let (rest, digest) = match name.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (name, None),
    };
    let (path, tag) = split_tag(rest);
    let (domain, mut remainder) = split_domain(path);
    if !valid_domain(domain) || remainder.is_empty() || !remainder.split('/').all(valid_component) {
        return None;
    }
    let with_library;
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        with_library = format!("library/{remainder}");
        remainder = &with_library;
    }
    if let Some(t) = tag {
        if !valid_tag(t) {
            return None;
        }
    }
    if let Some(d) = digest {
        d.parse::<crate::Digest>().ok()?;
    }
    let mut out = format!("{domain}/{remainder}");
    match (tag, digest) {
        (Some(t), _) => {
            out.push(':');
            out.push_str(t);
        }
        (None, None) => out.push_str(":latest"),
        (None, Some(_)) => {}
    }
    if let Some(d) = digest {
        out.push('@');
        out.push_str(d);
    }
    Some(out)
}

/// The short form Docker shows and writes in `RepoTags`: `docker.io/library/busybox:latest`
/// becomes `busybox:latest`, `docker.io/me/app:1` becomes `me/app:1`, other registries stay.
/// References by digest cannot be a `RepoTag`: `None`.
pub(crate) fn familiar(name: &str) -> Option<String> {
    let full = normalize(name)?;
    if full.contains('@') {
        return None;
    }
    let short = match full.strip_prefix("docker.io/") {
        Some(rest) => match rest.strip_prefix("library/") {
            Some(official) if !official.contains('/') => official.to_string(),
            _ => rest.to_string(),
        },
        None => full,
    };
    Some(short)
}

/// Splits `repo:tag` into repository and tag (the colon after the last slash).
pub(crate) fn split_tag(name: &str) -> (&str, Option<&str>) {
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(i) => (&name[..slash + i], Some(&name[slash + i + 1..])),
        None => (name, None),
    }
}

/// Splits off the registry domain, Docker's rule: the first component is a domain when it
/// has a `.` or `:`, is `localhost`, or has uppercase letters.
fn split_domain(path: &str) -> (&str, &str) {
    match path.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            let domain = if first == "index.docker.io" {
                DEFAULT_DOMAIN
            } else {
                first
            };
            (domain, rest)
        }
        _ => (DEFAULT_DOMAIN, path),
    }
}

/// A registry host (labels of alphanumerics and dashes, separated by dots) with an optional
/// numeric port.
fn valid_domain(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (d, None),
    };
    host.split('.').all(|l| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    }) && port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A path component: lowercase alphanumerics separated by `.`, `_`, `__` or dashes.
fn valid_component(c: &str) -> bool {
    !c.is_empty()
        && c.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && c.as_bytes()[0].is_ascii_alphanumeric()
        && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
}

/// A tag: up to 128 of `[A-Za-z0-9_.-]`, not starting with `.` or `-`.
fn valid_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && !t.starts_with(['.', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_docker() {
        let n = |s| normalize(s).unwrap();
        assert_eq!(n("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(n("busybox:1.36"), "docker.io/library/busybox:1.36");
        assert_eq!(n("me/app:1"), "docker.io/me/app:1");
        assert_eq!(n("localhost/x:1"), "localhost/x:1");
        assert_eq!(n("localhost:5000/x"), "localhost:5000/x:latest");
        assert_eq!(n("quay.io/a/b:c"), "quay.io/a/b:c");
        assert_eq!(
            n("index.docker.io/busybox"),
            "docker.io/library/busybox:latest"
        );
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(n(&format!("a@{d}")), format!("docker.io/library/a@{d}"));
        assert_eq!(normalize("UPPER"), None);
        assert_eq!(normalize("a:b:c"), None);
        assert_eq!(normalize("../x"), None);
        assert_eq!(normalize(""), None);
    }

    #[test]
    fn familiar_like_docker() {
        let f = |s| familiar(s).unwrap();
        assert_eq!(f("docker.io/library/busybox:latest"), "busybox:latest");
        assert_eq!(f("docker.io/me/app:1"), "me/app:1");
        assert_eq!(f("localhost/x:1"), "localhost/x:1");
        assert_eq!(f("busybox"), "busybox:latest");
        let d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(familiar(&format!("busybox@{d}")), None);
    }
}

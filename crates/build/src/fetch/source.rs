//! Classifying an `ADD` source: remote URL, git repository, or (neither) a context path.

/// Whether `ADD` treats a source as a URL to download: it starts with `http://` or `https://`
/// (case-sensitive, like Docker). A git URL such as `https://host/repo.git` is a URL too:
/// check [`is_git_url`] first.
pub fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// Whether a source is a git repository, as BuildKit's `ADD` reads it: `git@host:path`,
/// `git://…`, `ssh://…`, `github.com/…`, or an `http(s)://` URL whose path ends in `.git`
/// (optionally followed by `#ref[:subdir]`, or a query). berth does not support `ADD` of git
/// sources yet; the caller reports that.
pub fn is_git_url(s: &str) -> bool {
    if ["git@", "git://", "ssh://", "github.com/"]
        .iter()
        .any(|p| s.starts_with(p))
    {
        return true;
    }
    if !is_url(s) {
        return false;
    }
    let without_fragment = s.split('#').next().unwrap_or_default();
    let path = without_fragment
        .split('?')
        .next()
        .unwrap_or_default()
        .split_once("://")
        .map_or("", |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
    path.ends_with(".git")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(is_url("http://example.com/x"));
        assert!(is_url("https://example.com"));
        assert!(!is_url("HTTP://example.com"));
        assert!(!is_url("ftp://example.com/x"));
        assert!(!is_url("src/http://x"));
        assert!(!is_url("./file"));
    }

    #[test]
    fn git_urls() {
        for git in [
            "git@github.com:moby/buildkit.git",
            "git://example.com/repo",
            "ssh://git@example.com/repo",
            "github.com/moby/buildkit",
            "https://github.com/moby/buildkit.git",
            "https://github.com/moby/buildkit.git#v0.12.0",
            "https://github.com/moby/buildkit.git#main:docs",
            "http://example.com/x.git?depth=1",
        ] {
            assert!(is_git_url(git), "{git}");
        }
        for not_git in [
            "https://example.com/file.tar.gz",
            "https://example.com/file#frag",
            "https://example.com/.git/../x",
            "https://example.git",
            "./repo.git",
            "repo.git",
        ] {
            assert!(!is_git_url(not_git), "{not_git}");
        }
    }
}

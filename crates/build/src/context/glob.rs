//! COPY/ADD source patterns: Go `filepath.Match` per path component, expanded against a
//! [`SourceTree`] into [`Source`]s.

use berth_pathsafe::Root;

use super::error::{io_err, ContextError};
use super::resolve::{clean_components, open_root, resolve_at};
use super::walk::in_context;
use super::{Source, SourceTree};

/// Whether `s` has a `filepath.Match` metacharacter (`*`, `?`, `[` or `\`).
pub fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

/// Go's `filepath.Match` for one path component: `*` any run of characters, `?` one
/// character, `[a-z]`/`[^x]` classes, `\` escapes. `Err` carries why the pattern is bad.
pub fn match_component(pattern: &str, name: &str) -> Result<bool, String> {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
    validate(&p)?;
    Ok(matches_at(&p, &s))
}

fn validate(p: &[char]) -> Result<(), String> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => {
                if i + 1 >= p.len() {
                    return Err("trailing backslash".into());
                }
                i += 2;
            }
            '[' => {
                let (_, len) = class(&p[i + 1..], None)?;
                i += 1 + len;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

fn matches_at(p: &[char], s: &[char]) -> bool {
    let Some(&first) = p.first() else {
        return s.is_empty();
    };
    match first {
        '*' => (0..=s.len()).any(|i| matches_at(&p[1..], &s[i..])),
        '?' => !s.is_empty() && matches_at(&p[1..], &s[1..]),
        '[' => match (class(&p[1..], s.first().copied()), s.first()) {
            (Ok((true, len)), Some(_)) => matches_at(&p[1 + len..], &s[1..]),
            _ => false,
        },
        '\\' => p.len() > 1 && s.first() == Some(&p[1]) && matches_at(&p[2..], &s[1..]),
        c => s.first() == Some(&c) && matches_at(&p[1..], &s[1..]),
    }
}

/// Parses a class body (after `[`) and tests `c` against it. Returns whether it matched
/// and how many characters the body took, including the closing `]`.
fn class(p: &[char], c: Option<char>) -> Result<(bool, usize), String> {
    let mut i = 0;
    let negated = p.first() == Some(&'^');
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut ranges = 0;
    loop {
        match p.get(i) {
            None => return Err("unterminated character class".into()),
            Some(']') if ranges > 0 => {
                i += 1;
                break;
            }
            _ => {}
        }
        let (lo, n) = esc(&p[i..])?;
        i += n;
        let mut hi = lo;
        if p.get(i) == Some(&'-') {
            let (h, n) = esc(&p[i + 1..])?;
            hi = h;
            i += 1 + n;
        }
        ranges += 1;
        if c.is_some_and(|c| lo <= c && c <= hi) {
            matched = true;
        }
    }
    Ok((matched != negated, i))
}

fn esc(p: &[char]) -> Result<(char, usize), String> {
    match p {
        [] | ['-' | ']', ..] => Err("bad character class".into()),
        ['\\', c, ..] => Ok((*c, 2)),
        ['\\'] => Err("trailing backslash".into()),
        [c, ..] => Ok((*c, 1)),
    }
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}/{b}")
    }
}

/// Expands COPY/ADD source patterns (already variable-expanded strings as written, e.g.
/// `src/`, `*.txt`, `./a/b`, `/abs/in/context`) into matches, in pattern order, sorted
/// within a pattern. Paths excluded by the tree's ignore file do not exist here.
pub fn resolve_sources(
    tree: &SourceTree,
    patterns: &[String],
) -> Result<Vec<Source>, ContextError> {
    let mut out = Vec::new();
    let mut resolver = None;
    for pattern in patterns {
        let comps = clean_components(pattern)
            .ok_or_else(|| ContextError::OutsideContext(pattern.clone()))?;
        let confine = tree.confine(pattern);
        if comps.is_empty() {
            out.push(Source {
                rel: ".".into(),
                is_dir: true,
                real: Some(String::new()),
            });
            continue;
        }
        let resolver = match &resolver {
            Some(r) => r,
            None => resolver.insert(open_root(tree.root, pattern)?),
        };
        let joined = comps.join("/");
        if !comps.iter().any(|c| has_meta(c)) {
            let source = tree
                .stat(resolver, &joined, confine)?
                .ok_or_else(|| ContextError::NotFound(joined.clone()))?;
            out.push(source);
            continue;
        }
        let mut found = expand(tree, resolver, pattern, &comps)?;
        if found.is_empty() {
            return Err(ContextError::NotFound(joined));
        }
        found.sort_by(|a, b| a.rel.cmp(&b.rel));
        out.extend(found);
    }
    Ok(out)
}

/// The matches of one pattern with metacharacters (`comps`: its cleaned components), in
/// no particular order. A match that is not a symlink is known from its directory entry;
/// a symlink is resolved from the root (it may lead elsewhere, or out of the context).
fn expand(
    tree: &SourceTree,
    resolver: &Root,
    pattern: &str,
    comps: &[String],
) -> Result<Vec<Source>, ContextError> {
    let confine = tree.confine(pattern);
    let mut cands = vec![String::new()];
    let mut found = Vec::new();
    for (i, comp) in comps.iter().enumerate() {
        let last = i + 1 == comps.len();
        let mut next = Vec::new();
        for cand in cands {
            if !has_meta(comp) {
                next.push(join(&cand, comp));
                continue;
            }
            let r = resolve_at(resolver, &cand, true, confine)?;
            if !r.exists() {
                continue;
            }
            let dir = tree.root.join(r.real_rel());
            if !std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .map_err(io_err(format!("reading directory {}", dir.display())))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                let hit =
                    match_component(comp, &name).map_err(|reason| ContextError::BadPattern {
                        pattern: pattern.to_string(),
                        reason,
                    })?;
                if !hit {
                    continue;
                }
                let real = join(&r.real_rel(), &name);
                if !last {
                    if tree.ignore.is_some_and(|ig| ig.can_skip_dir(&real)) {
                        continue;
                    }
                    next.push(join(&cand, &name));
                    continue;
                }
                let md = std::fs::symlink_metadata(tree.root.join(&real))
                    .map_err(io_err(format!("reading {real}")))?;
                if !in_context(tree.root, tree.ignore, &real, md.is_dir())? {
                    continue;
                }
                let rel = join(&cand, &name);
                if md.file_type().is_symlink() {
                    next.push(rel);
                } else {
                    found.push(Source {
                        rel,
                        is_dir: md.is_dir(),
                        real: Some(real),
                    });
                }
            }
        }
        cands = next;
    }
    // What is left: symlinks matched by the last component, and every path when the last
    // component has no metacharacter.
    for cand in cands {
        if let Some(source) = tree.stat(resolver, &cand, tree.confine(&cand))? {
            found.push(source);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use berth_dockerfile::dockerignore::DockerIgnore;
    use std::fs;

    #[test]
    fn go_match() {
        let m = |p, s| match_component(p, s).unwrap();
        assert!(m("*.txt", "a.txt"));
        assert!(m("*", ".hidden"));
        assert!(!m("*.txt", "a.txt.bak"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[^a-c]x", "bx"));
        assert!(m("[^a-c]x", "dx"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(match_component("[", "a").is_err());
        assert!(match_component("[]", "a").is_err());
        assert!(match_component("a\\", "a").is_err());
    }

    fn tree() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let p = t.path();
        fs::create_dir_all(p.join("src/sub")).unwrap();
        fs::write(p.join("a.txt"), "a").unwrap();
        fs::write(p.join("b.txt"), "b").unwrap();
        fs::write(p.join("c.md"), "c").unwrap();
        fs::write(p.join("src/x.rs"), "x").unwrap();
        fs::write(p.join("src/sub/y.rs"), "y").unwrap();
        t
    }

    fn pats(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn globs_and_plain_paths() {
        let t = tree();
        let tr = SourceTree {
            root: t.path(),
            ignore: None,
            context: false,
        };
        let got = resolve_sources(&tr, &pats(&["*.txt", "./src/", "/c.md", "."])).unwrap();
        let rels: Vec<_> = got.iter().map(|s| (s.rel.as_str(), s.is_dir)).collect();
        assert_eq!(
            rels,
            vec![
                ("a.txt", false),
                ("b.txt", false),
                ("src", true),
                ("c.md", false),
                (".", true)
            ]
        );
        let got = resolve_sources(&tr, &pats(&["s*/*/*.rs"])).unwrap();
        assert_eq!(got[0].rel, "src/sub/y.rs");
    }

    #[test]
    fn missing_and_escaping() {
        let t = tree();
        let tr = SourceTree {
            root: t.path(),
            ignore: None,
            context: false,
        };
        let e = resolve_sources(&tr, &pats(&["missing"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "file not found in build context or excluded by .dockerignore: missing"
        );
        assert!(resolve_sources(&tr, &pats(&["*.none"])).is_err());
        let e = resolve_sources(&tr, &pats(&["../x"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "forbidden path outside the build context: ../x"
        );
        assert!(matches!(
            resolve_sources(&tr, &pats(&["a/../../x"])),
            Err(ContextError::OutsideContext(_))
        ));
    }

    #[test]
    fn ignored_files_are_invisible() {
        let t = tree();
        let ig = DockerIgnore::parse("b.txt\nsrc/sub\n").unwrap();
        let tr = SourceTree {
            root: t.path(),
            ignore: Some(&ig),
            context: true,
        };
        let got = resolve_sources(&tr, &pats(&["*.txt"])).unwrap();
        assert_eq!(got.len(), 1);
        assert!(resolve_sources(&tr, &pats(&["b.txt"])).is_err());
        assert!(resolve_sources(&tr, &pats(&["src/sub/y.rs"])).is_err());
        assert!(resolve_sources(&tr, &pats(&["src/*/y.rs"])).is_err());
    }

    #[test]
    fn context_symlink_escape_is_an_error() {
        let t = tree();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), t.path().join("out")).unwrap();
        std::os::unix::fs::symlink("../..", t.path().join("src/up")).unwrap();
        let ig = DockerIgnore::default();
        let tr = SourceTree {
            root: t.path(),
            ignore: Some(&ig),
            context: true,
        };
        for p in ["out", "src/up/x", "out/"] {
            assert!(
                matches!(
                    resolve_sources(&tr, &pats(&[p])),
                    Err(ContextError::OutsideContext(_))
                ),
                "{p}"
            );
        }
        // Another stage's rootfs: re-rooted instead.
        let tr = SourceTree {
            root: t.path(),
            ignore: None,
            context: false,
        };
        let got = resolve_sources(&tr, &pats(&["src/up/a.txt"])).unwrap();
        assert!(!got[0].is_dir);
    }
}

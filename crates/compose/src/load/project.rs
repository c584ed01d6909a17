//! Which files, which directory, which variables and which name a project has, as docker
//! compose decides them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::dotenv;
use super::file::read;
use super::paths::absolute;
use crate::error::{Error, Result};

/// The default compose file names, in order of preference.
pub(crate) const DEFAULT_FILES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The override files looked for beside a default file.
pub(crate) const OVERRIDE_FILES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// `path` against `base` unless absolute.
pub(crate) fn resolve(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        absolute(base, &path.to_string_lossy())
    }
}

/// The default file in `dir` or its nearest parent that has one, plus its override file.
/// Warns when a directory has several candidates.
pub(crate) fn find_default(dir: &Path, warnings: &mut Vec<String>) -> Option<Vec<PathBuf>> {
    let mut d = Some(dir);
    while let Some(here) = d {
        let found: Vec<PathBuf> = DEFAULT_FILES
            .iter()
            .map(|n| here.join(n))
            .filter(|p| p.is_file())
            .collect();
        if let Some(first) = found.first() {
            if found.len() > 1 {
                warnings.push(format!(
                    "Found multiple config files with supported names: {}\nUsing {}",
                    found
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    first.display()
                ));
            }
            let mut files = vec![first.clone()];
            if let Some(o) = OVERRIDE_FILES
                .iter()
                .map(|n| here.join(n))
                .find(|p| p.is_file())
            {
                files.push(o);
            }
            return Some(files);
        }
        d = here.parent();
    }
    None
}

/// Variables from `.env`-style `files`, in order (later files win); `process` answers
/// variables used inside them first, as in compose-go.
pub(crate) fn env_files(
    files: &[PathBuf],
    process: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for f in files {
        let text = read(f)?;
        let lookup = |k: &str| process.get(k).or_else(|| out.get(k)).cloned();
        let vars = dotenv::parse(&text, &lookup)
            .map_err(|m| Error::Invalid(format!("failed to read {}: {m}", f.display())))?;
        out.extend(vars);
    }
    Ok(out)
}

/// compose-go's `NormalizeProjectName`: lower case, only `[a-z0-9_-]`, no leading `_`/`-`.
pub(crate) fn normalize_name(s: &str) -> String {
    let lower: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    lower.trim_start_matches(['_', '-']).to_string()
}

/// Checks a name given explicitly (`-p`, `COMPOSE_PROJECT_NAME`).
pub(crate) fn check_name(s: &str) -> Result<String> {
    if s.is_empty() || normalize_name(s) != s {
        return Err(Error::Invalid(format!(
            "invalid project name {s:?}: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number"
        )));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(normalize_name("My_App-1"), "my_app-1");
        assert_eq!(normalize_name("--Hello World!"), "helloworld");
        assert_eq!(normalize_name("_x"), "x");
        assert!(check_name("myapp").is_ok());
        assert!(check_name("MyApp").is_err());
        assert!(check_name("-x").is_err());
        assert!(check_name("").is_err());
    }
}

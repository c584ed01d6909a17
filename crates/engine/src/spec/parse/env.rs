//! `-e KEY=value` / `-e KEY` and `--env-file` (Docker's format: `#` comments, blank lines,
//! bare names taken from the caller's environment, no quote processing).

use std::path::Path;

use crate::spec::{Error, Result};

/// One `-e` value. `KEY=value` is kept as is; a bare `KEY` takes its value from `lookup`
/// (the CLI's own environment) and is dropped (`None`) when that has no such variable.
pub fn parse_env(value: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<Option<String>> {
    let (key, val) = match value.split_once('=') {
        Some((k, v)) => (k, Some(v)),
        None => (value, None),
    };
    if key.trim().is_empty() {
        return Err(Error::flag(
            "-e, --env",
            value,
            format!("invalid environment variable: {value}"),
        ));
    }
    Ok(match val {
        Some(_) => Some(value.to_string()),
        None => lookup(key).map(|v| format!("{key}={v}")),
    })
}

/// Reads an `--env-file`; see [`parse_env_text`].
pub fn parse_env_file(path: &Path, lookup: impl Fn(&str) -> Option<String>) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        what: format!("reading env file {}", path.display()),
        source,
    })?;
    parse_env_text(path, &bytes, lookup)
}

/// Parses the content of an env file as Docker does: a UTF-8 BOM is skipped, leading
/// whitespace is trimmed, blank lines and lines starting with `#` are skipped, `KEY=value`
/// is kept with the value untouched (quotes included), a bare `KEY` is looked up with
/// `lookup` and dropped when unset. A name with whitespace, an empty name or invalid UTF-8
/// is an error naming `path:line`.
pub fn parse_env_text(
    path: &Path,
    content: &[u8],
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>> {
    let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    let mut out = Vec::new();
    let err = |line: usize, reason: String| Error::EnvFile {
        path: path.to_path_buf(),
        line,
        reason,
    };
    for (i, raw) in content.split(|&b| b == b'\n').enumerate() {
        let n = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = std::str::from_utf8(raw)
            .map_err(|_| err(n, "invalid UTF-8".to_string()))?
            .trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line, None),
        };
        if name.contains(char::is_whitespace) {
            return Err(err(n, format!("variable '{name}' contains whitespaces")));
        }
        if name.is_empty() {
            return Err(err(n, format!("no variable name on line '{line}'")));
        }
        match value {
            Some(v) => out.push(format!("{name}={v}")),
            None => {
                if let Some(v) = lookup(name) {
                    out.push(format!("{name}={v}"));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(k: &str) -> Option<String> {
        (k == "HOME").then(|| "/root".to_string())
    }

    #[test]
    fn env_values() {
        assert_eq!(parse_env("A=b=c", lookup).unwrap().unwrap(), "A=b=c");
        assert_eq!(parse_env("A=", lookup).unwrap().unwrap(), "A=");
        assert_eq!(parse_env("HOME", lookup).unwrap().unwrap(), "HOME=/root");
        assert_eq!(parse_env("UNSET", lookup).unwrap(), None);
        assert_eq!(
            parse_env("=x", lookup).unwrap_err().to_string(),
            "invalid argument \"=x\" for \"-e, --env\" flag: invalid environment variable: =x"
        );
    }

    #[test]
    fn env_file() {
        let text = b"\xef\xbb\xbf# comment\n\n  A=1\nB=\"quoted\" \r\nHOME\nUNSET\n   # indented comment\nC==x\n";
        let got = parse_env_text(Path::new("e.env"), text, lookup).unwrap();
        assert_eq!(got, ["A=1", "B=\"quoted\" ", "HOME=/root", "C==x"]);
    }

    #[test]
    fn env_file_errors() {
        let e = parse_env_text(Path::new("e.env"), b"A=1\nBAD NAME=2\n", lookup).unwrap_err();
        assert_eq!(
            e.to_string(),
            "e.env:2: variable 'BAD NAME' contains whitespaces"
        );
        let e = parse_env_text(Path::new("e.env"), b"=2\n", lookup).unwrap_err();
        assert_eq!(e.to_string(), "e.env:1: no variable name on line '=2'");
        let e = parse_env_text(Path::new("e.env"), b"A=\xff\n", lookup).unwrap_err();
        assert_eq!(e.to_string(), "e.env:1: invalid UTF-8");
        let e = parse_env_file(Path::new("/nonexistent/berth.env"), lookup).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("reading env file /nonexistent/berth.env: "));
    }
}

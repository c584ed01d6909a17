//! Per-instruction flag checking (BuildKit's `instructions/bflag.go`).

use std::collections::BTreeMap;

/// The type of a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagType {
    /// `--name=value`, once.
    String,
    /// `--name=value`, repeatable.
    Strings,
    /// `--name`, `--name=true|false`.
    Bool,
}

/// The parsed flags of one instruction.
#[derive(Debug, Default)]
pub(crate) struct Flags {
    values: BTreeMap<String, Vec<String>>,
}

impl Flags {
    /// Checks `raw` (`--name[=value]` words) against `allowed`.
    pub(crate) fn parse(raw: &[String], allowed: &[(&str, FlagType)]) -> Result<Flags, String> {
        let mut out = Flags::default();
        for arg in raw {
            let Some(body) = arg.strip_prefix("--") else {
                return Err(format!("Arg {} must start with --", go_q(arg)));
            };
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let Some(&(_, typ)) = allowed.iter().find(|(n, _)| *n == name) else {
                let mut msg = format!("unknown flag: {name}");
                let names: Vec<&str> = allowed.iter().map(|(n, _)| *n).collect();
                if let Some(s) = suggest(name, &names) {
                    msg.push_str(&format!(" (did you mean {s}?)"));
                }
                return Err(msg);
            };
            if typ != FlagType::Strings && out.values.contains_key(name) {
                return Err(format!("duplicate flag specified: {name}"));
            }
            let v = match typ {
                FlagType::Bool => match value {
                    Some("") => return Err(format!("missing a value on flag: {name}")),
                    None => "true".to_string(),
                    Some(v) => match v.to_ascii_lowercase().as_str() {
                        "true" => "true".to_string(),
                        "false" => "false".to_string(),
                        _ => {
                            return Err(format!(
                                "expecting boolean value for flag {name}, not: {v}"
                            ))
                        }
                    },
                },
                FlagType::String | FlagType::Strings => match value {
                    None => return Err(format!("missing a value on flag: {name}")),
                    Some(v) => v.to_string(),
                },
            };
            out.values.entry(name.to_string()).or_default().push(v);
        }
        Ok(out)
    }

    /// A string flag's value, if given.
    pub(crate) fn string(&self, name: &str) -> Option<String> {
        self.values.get(name).and_then(|v| v.last().cloned())
    }

    /// A repeatable flag's values.
    pub(crate) fn strings(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }

    /// A bool flag's value, if given.
    pub(crate) fn opt_bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v == "true")
    }

    /// A bool flag's value, false if not given.
    pub(crate) fn bool(&self, name: &str) -> bool {
        self.opt_bool(name).unwrap_or(false)
    }
}

/// Go's `%q` for a short string.
fn go_q(s: &str) -> String {
    berth_dockerfile::parser::go_quote(s)
}

/// The closest candidate to `word`, like BuildKit's `suggest.Search` (case-insensitive
/// Levenshtein distance at most 1, or 2 for words longer than 4 characters).
pub(crate) fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let w = word.to_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = levenshtein(&w, &c.to_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let allowed = if w.len() > 4 { 2 } else { 1 };
    best.filter(|(d, _)| *d <= allowed).map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    const COPY: &[(&str, FlagType)] = &[
        ("from", FlagType::String),
        ("link", FlagType::Bool),
        ("exclude", FlagType::Strings),
    ];

    #[test]
    fn parses_types() {
        let f = Flags::parse(
            &s(&["--from=a", "--link", "--exclude=x", "--exclude=y"]),
            COPY,
        )
        .unwrap();
        assert_eq!(f.string("from").as_deref(), Some("a"));
        assert!(f.bool("link"));
        assert_eq!(f.strings("exclude"), ["x", "y"]);
        let f = Flags::parse(&s(&["--link=FALSE"]), COPY).unwrap();
        assert_eq!(f.opt_bool("link"), Some(false));
    }

    #[test]
    fn errors() {
        let e = |v: &[&str]| Flags::parse(&s(v), COPY).unwrap_err();
        assert_eq!(e(&["--foo"]), "unknown flag: foo");
        assert_eq!(e(&["--frm=x"]), "unknown flag: frm (did you mean from?)");
        assert_eq!(e(&["--lnk"]), "unknown flag: lnk (did you mean link?)");
        assert_eq!(e(&["--from"]), "missing a value on flag: from");
        assert_eq!(e(&["--link="]), "missing a value on flag: link");
        assert_eq!(
            e(&["--from=a", "--from=b"]),
            "duplicate flag specified: from"
        );
        assert_eq!(
            e(&["--link=yes"]),
            "expecting boolean value for flag link, not: yes"
        );
    }
}

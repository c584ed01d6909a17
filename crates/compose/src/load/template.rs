//! `${VAR}` substitution in one string, with compose-go's template rules: `$$` is a literal
//! `$`; `$NAME` and `${NAME}` expand; `${NAME:-d}` / `${NAME-d}` default when unset or empty /
//! unset; `${NAME:?e}` / `${NAME?e}` fail; `${NAME:+r}` / `${NAME+r}` replace when set and
//! non-empty / set; defaults, replacements and messages may nest substitutions; a `$`
//! followed by anything else stays as it is; a malformed `${...}` is an error.

/// Why a substitution failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TemplateError {
    /// `${...}` that is not a valid substitution (the text given).
    Invalid(String),
    /// `${VAR?err}` / `${VAR:?err}` with `VAR` missing.
    Required {
        /// The variable.
        var: String,
        /// The message written after `?` (interpolated).
        reason: String,
    },
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Invalid(t) => write!(
                f,
                "invalid interpolation format: {t:?}. You may need to escape any $ with another $"
            ),
            TemplateError::Required { var, reason } if reason.is_empty() => {
                write!(f, "required variable {var} is missing a value")
            }
            TemplateError::Required { var, reason } => {
                write!(f, "required variable {var} is missing a value: {reason}")
            }
        }
    }
}

/// Substitutes `input`. `lookup` answers a variable's value (`None` when unset); the names
/// of unset variables used without a default are pushed to `unset`.
pub(crate) fn substitute(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, TemplateError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::with_capacity(input.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        match chars.get(i + 1) {
            Some('$') => {
                out.push('$');
                i += 2;
            }
            Some('{') => {
                let start = i + 2;
                let end = closing_brace(&chars, start)
                    .ok_or_else(|| TemplateError::Invalid(chars[i..].iter().collect()))?;
                let body: String = chars[start..end].iter().collect();
                out.push_str(&braced(&body, lookup, unset)?);
                i = end + 1;
            }
            Some(&n) if n == '_' || n.is_ascii_alphabetic() => {
                let mut j = i + 1;
                while j < chars.len() && (chars[j] == '_' || chars[j].is_ascii_alphanumeric()) {
                    j += 1;
                }
                let name: String = chars[i + 1..j].iter().collect();
                match lookup(&name) {
                    Some(v) => out.push_str(&v),
                    None => unset.push(name),
                }
                i = j;
            }
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The index of the `}` closing a `${` whose body starts at `start` (nested `${` counted).
fn closing_brace(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '$' if chars.get(i + 1) == Some(&'$') => i += 1,
            '$' if chars.get(i + 1) == Some(&'{') => {
                depth += 1;
                i += 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// One `${body}`.
fn braced(
    body: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut Vec<String>,
) -> Result<String, TemplateError> {
    let invalid = || TemplateError::Invalid(format!("${{{body}}}"));
    let name_len = body
        .char_indices()
        .find(|&(i, c)| !(c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit())))
        .map_or(body.len(), |(i, _)| i);
    if name_len == 0 {
        return Err(invalid());
    }
    let (name, rest) = body.split_at(name_len);
    let value = lookup(name);
    if rest.is_empty() {
        return Ok(value.unwrap_or_else(|| {
            unset.push(name.to_string());
            String::new()
        }));
    }
    let (colon, rest) = match rest.strip_prefix(':') {
        Some(r) => (true, r),
        None => (false, rest),
    };
    let mut ops = rest.chars();
    let op = ops.next().ok_or_else(invalid)?;
    let arg = ops.as_str();
    // Set, and (with `:`) not empty.
    let present = match &value {
        Some(v) => !(colon && v.is_empty()),
        None => false,
    };
    match op {
        '-' if present => Ok(value.unwrap_or_default()),
        '-' => substitute(arg, lookup, unset),
        '+' if present => substitute(arg, lookup, unset),
        '+' => Ok(String::new()),
        '?' if present => Ok(value.unwrap_or_default()),
        '?' => Err(TemplateError::Required {
            var: name.to_string(),
            reason: substitute(arg, lookup, unset)?,
        }),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn run(input: &str) -> Result<(String, Vec<String>), TemplateError> {
        let env: BTreeMap<&str, &str> = [("FOO", "foo"), ("EMPTY", ""), ("B", "bee")].into();
        let lookup = |k: &str| env.get(k).map(|v| v.to_string());
        let mut unset = Vec::new();
        let out = substitute(input, &lookup, &mut unset)?;
        Ok((out, unset))
    }

    fn ok(input: &str) -> String {
        run(input).expect("substitutes").0
    }

    #[test]
    fn table() {
        let cases = [
            ("plain", "plain"),
            ("$FOO", "foo"),
            ("${FOO}", "foo"),
            ("x${FOO}y$FOO.z", "xfooyfoo.z"),
            ("$$FOO", "$FOO"),
            ("$${FOO}", "${FOO}"),
            ("a$$", "a$"),
            ("${UNSET:-d}", "d"),
            ("${EMPTY:-d}", "d"),
            ("${EMPTY-d}", ""),
            ("${UNSET-d}", "d"),
            ("${FOO:-d}", "foo"),
            ("${FOO:+r}", "r"),
            ("${EMPTY:+r}", ""),
            ("${EMPTY+r}", "r"),
            ("${UNSET+r}", ""),
            ("${UNSET:-${B}}", "bee"),
            ("${UNSET:-${ALSO:-${FOO}x}}", "foox"),
            ("${UNSET:-a:b-c}", "a:b-c"),
            ("${EMPTY?e}", ""),
            ("${FOO:?e}", "foo"),
            ("$1 $ $- $", "$1 $ $- $"),
            ("€${FOO}€", "€foo€"),
        ];
        for (input, want) in cases {
            assert_eq!(ok(input), want, "{input}");
        }
    }

    #[test]
    fn unset_is_reported() {
        assert_eq!(
            run("$NOPE-${NADA}").expect("ok"),
            ("-".into(), vec!["NOPE".into(), "NADA".into()])
        );
        assert_eq!(run("${NOPE:-x}").expect("ok").1, Vec::<String>::new());
    }

    #[test]
    fn errors() {
        assert_eq!(
            run("${UNSET:?is needed ${B}}"),
            Err(TemplateError::Required {
                var: "UNSET".into(),
                reason: "is needed bee".into()
            })
        );
        assert_eq!(
            run("${EMPTY:?}").map_err(|e| e.to_string()),
            Err("required variable EMPTY is missing a value".into())
        );
        assert!(run("${UNSET?x}").is_err());
        for bad in ["${}", "${1A}", "${FOO", "${FOO/a/b}", "${FOO:}", "${ FOO}"] {
            assert!(matches!(run(bad), Err(TemplateError::Invalid(_))), "{bad}");
        }
    }
}

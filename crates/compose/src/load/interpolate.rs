//! Interpolation of one file's values (never its keys), before files are merged.

use std::collections::BTreeMap;

use super::template::{substitute, TemplateError};
use super::yaml::{Kind, Node};
use crate::error::{Error, Result};

/// Substitutes every string value under `node` from `env`; `path` is the key path of `node`.
/// Unset variables without a default become "" and are reported once each in `warnings`.
pub(crate) fn interpolate(
    node: &mut Node,
    path: &str,
    env: &BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) -> Result<()> {
    match &mut node.kind {
        Kind::Str(s) => {
            if !s.contains('$') {
                return Ok(());
            }
            let mut unset = Vec::new();
            let lookup = |k: &str| env.get(k).cloned();
            match substitute(s, &lookup, &mut unset) {
                Ok(v) => *s = v,
                Err(e) => {
                    let message = match &e {
                        TemplateError::Invalid(_) => format!("{e}"),
                        TemplateError::Required { .. } => format!("error while interpolating: {e}"),
                    };
                    return Err(Error::At {
                        span: Some(node.span.clone()),
                        path: path.to_string(),
                        message,
                    });
                }
            }
            for var in unset {
                let w = format!("The \"{var}\" variable is not set. Defaulting to a blank string.");
                if !warnings.contains(&w) {
                    warnings.push(w);
                }
            }
        }
        Kind::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate(item, &format!("{path}[{i}]"), env, warnings)?;
            }
        }
        Kind::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                interpolate(v, &join(path, &k.name), env, warnings)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `path.key`, or `key` at the root.
pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse;
    use std::path::Path;

    #[test]
    fn values_not_keys_and_errors_with_lines() {
        let env: BTreeMap<String, String> = [("TAG".to_string(), "1.2".to_string())].into();
        let mut doc = parse(
            "services:\n  web:\n    image: app:${TAG}\n    $KEY: x\n    user: $NOBODY\n",
            Path::new("c.yaml"),
        )
        .expect("yaml")
        .remove(0);
        let mut warnings = Vec::new();
        interpolate(&mut doc, "", &env, &mut warnings).expect("ok");
        let web = doc.get("services").and_then(|s| s.get("web")).expect("web");
        assert_eq!(web.get("image").and_then(Node::as_str), Some("app:1.2"));
        assert!(web.get("$KEY").is_some());
        assert_eq!(web.get("user").and_then(Node::as_str), Some(""));
        assert_eq!(
            warnings,
            vec!["The \"NOBODY\" variable is not set. Defaulting to a blank string."]
        );

        let mut doc = parse(
            "services:\n  web:\n    image: ${IMG:?set IMG}\n",
            Path::new("c.yaml"),
        )
        .expect("yaml")
        .remove(0);
        let e = interpolate(&mut doc, "", &env, &mut warnings).expect_err("required");
        assert_eq!(
            e.to_string(),
            "c.yaml:3:12: services.web.image: error while interpolating: required variable IMG is missing a value: set IMG"
        );
    }
}

//! `--change` instructions of `berth import` (and `commit`): the Dockerfile instructions that
//! only touch the image configuration.

use std::collections::BTreeMap;

use berth_store::oci::ContainerConfig;

use crate::error::{Error, Result};

/// Applies one `--change` line (`CMD ["sh"]`, `ENV A=1 B=2`, `WORKDIR /app`, ...) to `cfg`.
pub fn apply_change(cfg: &mut ContainerConfig, line: &str) -> Result<()> {
    let line = line.trim();
    let (instr, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let bad = |why: &str| Error::Invalid(format!("invalid --change {line:?}: {why}"));
    match instr.to_ascii_uppercase().as_str() {
        "CMD" => cfg.cmd = Some(exec_or_shell(rest).ok_or_else(|| bad("expected a command"))?),
        "ENTRYPOINT" => cfg.entrypoint = Some(exec_or_shell(rest).ok_or_else(|| bad("expected a command"))?),
        "WORKDIR" if !rest.is_empty() => cfg.working_dir = Some(rest.to_string()),
        "USER" if !rest.is_empty() => cfg.user = Some(rest.to_string()),
        "STOPSIGNAL" if !rest.is_empty() => cfg.stop_signal = Some(rest.to_string()),
        "ENV" => {
            let env = cfg.env.get_or_insert_with(Vec::new);
            for (k, v) in key_values(rest).ok_or_else(|| bad("expected KEY=value"))? {
                env.retain(|e| e.split('=').next() != Some(k.as_str()));
                env.push(format!("{k}={v}"));
            }
        }
        "LABEL" => {
            let labels = cfg.labels.get_or_insert_with(BTreeMap::new);
            for (k, v) in key_values(rest).ok_or_else(|| bad("expected KEY=value"))? {
                labels.insert(k, v);
            }
        }
        "EXPOSE" => {
            let ports = cfg.exposed_ports.get_or_insert_with(BTreeMap::new);
            for p in rest.split_whitespace() {
                let p = if p.contains('/') { p.to_string() } else { format!("{p}/tcp") };
                ports.insert(p, serde_json::json!({}));
            }
        }
        "VOLUME" => {
            let vols = cfg.volumes.get_or_insert_with(BTreeMap::new);
            let list = match serde_json::from_str::<Vec<String>>(rest) {
                Ok(v) => v,
                Err(_) => rest.split_whitespace().map(String::from).collect(),
            };
            for v in list {
                vols.insert(v, serde_json::json!({}));
            }
        }
        "ONBUILD" => cfg.on_build.get_or_insert_with(Vec::new).push(rest.to_string()),
        _ => return Err(bad("supported instructions are CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR")),
    }
    Ok(())
}

/// The exec form (`["a","b"]`) as is, or the shell form wrapped in `/bin/sh -c`.
fn exec_or_shell(rest: &str) -> Option<Vec<String>> {
    if rest.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(rest) {
            return Some(v);
        }
    }
    if rest.is_empty() {
        return None;
    }
    Some(vec!["/bin/sh".into(), "-c".into(), rest.to_string()])
}

/// `K=V K2="v 2"` or the legacy `K V...` form.
fn key_values(rest: &str) -> Option<Vec<(String, String)>> {
    if rest.is_empty() {
        return None;
    }
    let first = rest.split_whitespace().next()?;
    if !first.contains('=') {
        let (k, v) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        return Some(vec![(k.to_string(), v.trim().to_string())]);
    }
    let mut out = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let mut word = String::new();
        let mut quote: Option<char> = None;
        for c in chars.by_ref() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, c) if c.is_whitespace() => break,
                (_, c) => word.push(c),
            }
        }
        let (k, v) = word.split_once('=')?;
        out.push((k.to_string(), v.to_string()));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applies_changes() {
        let mut c = ContainerConfig::default();
        apply_change(&mut c, r#"CMD ["httpd","-f"]"#).unwrap();
        apply_change(&mut c, "ENTRYPOINT echo hi").unwrap();
        apply_change(&mut c, r#"ENV A=1 B="two words""#).unwrap();
        apply_change(&mut c, "ENV C 3 4").unwrap();
        apply_change(&mut c, "EXPOSE 80 53/udp").unwrap();
        apply_change(&mut c, "WORKDIR /srv").unwrap();
        assert_eq!(c.cmd.unwrap(), vec!["httpd", "-f"]);
        assert_eq!(c.entrypoint.unwrap(), vec!["/bin/sh", "-c", "echo hi"]);
        assert_eq!(c.env.unwrap(), vec!["A=1", "B=two words", "C=3 4"]);
        assert!(c.exposed_ports.unwrap().contains_key("53/udp"));
        assert!(apply_change(&mut ContainerConfig::default(), "RUN x").is_err());
    }
}

//! Checks beyond the schema, on the merged document: port syntax and `depends_on` cycles.

use std::collections::BTreeMap;

use serde_json::Value;

/// A problem found: key path and message.
pub(crate) type Problem = (String, String);

/// The first problem in `doc`, if any.
pub(crate) fn check(doc: &Value) -> Option<Problem> {
    let services = doc.get("services")?.as_object()?;
    for (name, svc) in services {
        if let Some(ports) = svc.get("ports").and_then(Value::as_array) {
            for (i, p) in ports.iter().enumerate() {
                if let Some(s) = p.as_str() {
                    if let Err(m) = port(s) {
                        return Some((format!("services.{name}.ports[{i}]"), m));
                    }
                }
            }
        }
    }
    cycle(services)
}

fn port_number(s: &str, what: &str, full: &str) -> Result<(), String> {
    let ok = |n: &str| n.parse::<u16>().is_ok();
    let valid = match s.split_once('-') {
        Some((a, b)) => ok(a) && ok(b),
        None => ok(s),
    };
    if valid {
        Ok(())
    } else {
        Err(format!("invalid {what}: {s} (in port {full:?})"))
    }
}

/// `[[ip:][published]:]target[/protocol]`, published and target numbers or ranges.
fn port(s: &str) -> Result<(), String> {
    let (spec, proto) = match s.rsplit_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    if let Some(p) = proto {
        if !matches!(p, "tcp" | "udp" | "sctp") {
            return Err(format!("invalid proto: {p} (in port {s:?})"));
        }
    }
    let mut parts: Vec<&str> = spec.rsplitn(3, ':').collect();
    parts.reverse();
    let (published, target) = match parts.as_slice() {
        [t] => (None, *t),
        [p, t] => (Some(*p), *t),
        [_, p, t] => (Some(*p), *t),
        _ => (None, spec),
    };
    port_number(target, "containerPort", s)?;
    if let Some(p) = published.filter(|p| !p.is_empty()) {
        port_number(p, "hostPort", s)?;
    }
    Ok(())
}

fn deps(svc: &Value) -> Vec<String> {
    match svc.get("depends_on") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

fn cycle(services: &serde_json::Map<String, Value>) -> Option<Problem> {
    let graph: BTreeMap<&str, Vec<String>> = services
        .iter()
        .map(|(k, v)| (k.as_str(), deps(v)))
        .collect();
    // 0 = unseen, 1 = on the path, 2 = done.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    for start in graph.keys() {
        let mut path: Vec<&str> = Vec::new();
        if let Some(c) = visit(start, &graph, &mut state, &mut path) {
            return Some((
                format!("services.{}.depends_on", c[0]),
                format!("dependency cycle detected: {}", c.join(" -> ")),
            ));
        }
    }
    None
}

fn visit<'a>(
    node: &'a str,
    graph: &'a BTreeMap<&'a str, Vec<String>>,
    state: &mut BTreeMap<&'a str, u8>,
    path: &mut Vec<&'a str>,
) -> Option<Vec<String>> {
    match state.get(node) {
        Some(2) => return None,
        Some(1) => {
            let from = path.iter().position(|n| *n == node).unwrap_or(0);
            let mut c: Vec<String> = path[from..].iter().map(|s| s.to_string()).collect();
            c.push(node.to_string());
            return Some(c);
        }
        _ => {}
    }
    state.insert(node, 1);
    path.push(node);
    for d in graph.get(node).into_iter().flatten() {
        if let Some((k, _)) = graph.get_key_value(d.as_str()) {
            if let Some(c) = visit(k, graph, state, path) {
                return Some(c);
            }
        }
    }
    path.pop();
    state.insert(node, 2);
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ports() {
        for ok in [
            "80",
            "80:80",
            "127.0.0.1:8001:8001",
            "::1:6000:6000",
            "[::1]:6001:6001",
            "6060:6060/udp",
            "3000-3005",
            "9090-9091:8080-8081",
            "127.0.0.1::80",
        ] {
            assert!(port(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            port("80:abc").unwrap_err(),
            "invalid containerPort: abc (in port \"80:abc\")"
        );
        assert!(port("x:80").is_err());
        assert!(port("80/foo").is_err());
        assert!(port("70000").is_err());
    }

    #[test]
    fn cycles() {
        let doc = json!({"services": {"a": {"depends_on": ["b"]}, "b": {"depends_on": {"c": {}}}, "c": {"depends_on": ["a"]}}});
        assert_eq!(
            check(&doc),
            Some((
                "services.a.depends_on".into(),
                "dependency cycle detected: a -> b -> c -> a".into()
            ))
        );
        let doc = json!({"services": {"a": {"depends_on": ["a"]}}});
        assert!(check(&doc).is_some());
        let doc = json!({"services": {"a": {"depends_on": ["b"]}, "b": {}}});
        assert!(check(&doc).is_none());
    }
}

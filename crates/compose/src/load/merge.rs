//! Merging compose documents (later `-f` files over earlier ones, a service over the one it
//! `extends`), with the Compose Specification's rules (13-merge.md) as compose-go applies
//! them: mappings merge recursively and the later scalar wins; sequences append, except
//! `command`, `entrypoint` and `healthcheck.test`, which replace; `environment`, `labels`
//! and the other key/value attributes merge by key whether written as a list or a map;
//! `depends_on`, service `networks` and `build` merge across their short and long forms;
//! `logging` options merge only for the same driver; `x-` extensions replace; `!reset`
//! removes a value and `!override` replaces it. Then [`unicity`] keeps one entry per key in
//! `ports`, `volumes`, `secrets`, `configs`, `environment` and the like (the last one wins, in
//! the first one's place).
//!
//! The merged document keeps the forms as written where the two sides agree (a list stays a
//! list, a map a map); only a mixed pair is converted (to the list form for key/value
//! attributes, to the map form for `depends_on` and `networks`).

use super::yaml::{Key, Kind, Node, Tag};

/// What a path merges like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    Generic,
    Replace,
    KeyValue,
    StringOrList,
    DependsOn,
    Networks,
    Build,
    Logging,
    Ulimit,
}

fn matches(path: &[String], pattern: &str) -> bool {
    let pat: Vec<&str> = pattern.split('.').collect();
    pat.len() == path.len() && pat.iter().zip(path).all(|(p, s)| *p == "*" || p == s)
}

fn rule(path: &[String]) -> Rule {
    const TABLE: &[(&str, Rule)] = &[
        ("services.*.command", Rule::Replace),
        ("services.*.entrypoint", Rule::Replace),
        ("services.*.healthcheck.test", Rule::Replace),
        ("services.*.environment", Rule::KeyValue),
        ("services.*.labels", Rule::KeyValue),
        ("services.*.annotations", Rule::KeyValue),
        ("services.*.sysctls", Rule::KeyValue),
        ("services.*.extra_hosts", Rule::KeyValue),
        ("services.*.build.args", Rule::KeyValue),
        ("services.*.build.labels", Rule::KeyValue),
        ("services.*.build.extra_hosts", Rule::KeyValue),
        ("services.*.build.additional_contexts", Rule::KeyValue),
        ("services.*.deploy.labels", Rule::KeyValue),
        ("services.*.volumes.*.volume.labels", Rule::KeyValue),
        ("networks.*.labels", Rule::KeyValue),
        ("volumes.*.labels", Rule::KeyValue),
        ("secrets.*.labels", Rule::KeyValue),
        ("configs.*.labels", Rule::KeyValue),
        ("services.*.dns", Rule::StringOrList),
        ("services.*.dns_search", Rule::StringOrList),
        ("services.*.dns_opt", Rule::StringOrList),
        ("services.*.env_file", Rule::StringOrList),
        ("services.*.label_file", Rule::StringOrList),
        ("services.*.tmpfs", Rule::StringOrList),
        ("services.*.depends_on", Rule::DependsOn),
        ("services.*.networks", Rule::Networks),
        ("services.*.build", Rule::Build),
        ("services.*.logging", Rule::Logging),
        ("services.*.ulimits.*", Rule::Ulimit),
    ];
    TABLE
        .iter()
        .find(|(p, _)| matches(path, p))
        .map_or(Rule::Generic, |(_, r)| *r)
}

/// Drops `!reset` nodes and forgets `!override` tags: what a value means when nothing is
/// under it.
pub(crate) fn clean(mut node: Node) -> Option<Node> {
    match node.tag {
        Tag::Reset => return None,
        Tag::Override => node.tag = Tag::None,
        Tag::None => {}
    }
    node.kind = match node.kind {
        Kind::Seq(items) => Kind::Seq(items.into_iter().filter_map(clean).collect()),
        Kind::Map(entries) => Kind::Map(
            entries
                .into_iter()
                .filter_map(|(k, v)| clean(v).map(|v| (k, v)))
                .collect(),
        ),
        k => k,
    };
    Some(node)
}

/// Merges `over` onto `base` (both documents, or both services, ...) at `path`; `None` when
/// `over` resets the value.
pub(crate) fn merge(base: Node, over: Node, path: &[String]) -> Option<Node> {
    match over.tag {
        Tag::Reset => return None,
        Tag::Override => return clean(over),
        Tag::None => {}
    }
    match rule(path) {
        Rule::Replace => clean(over),
        Rule::KeyValue => {
            if base.as_map().is_some() && over.as_map().is_some() {
                generic(base, over, path)
            } else {
                append(to_kv_list(base), to_kv_list(over))
            }
        }
        Rule::StringOrList => append(to_list(base), to_list(over)),
        Rule::DependsOn | Rule::Networks => {
            if matches!(base.kind, Kind::Seq(_)) && matches!(over.kind, Kind::Seq(_)) {
                append(base, over)
            } else {
                let deps = rule(path) == Rule::DependsOn;
                generic(list_to_map(base, deps), list_to_map(over, deps), path)
            }
        }
        Rule::Build => generic(build_map(base), build_map(over), path),
        Rule::Logging => {
            let driver = |n: &Node| n.get("driver").and_then(Node::scalar_text);
            match (driver(&base), driver(&over)) {
                (Some(a), Some(b)) if a != b => clean(over),
                _ => generic(base, over, path),
            }
        }
        Rule::Ulimit => {
            if base.as_map().is_some() && over.as_map().is_some() {
                generic(base, over, path)
            } else {
                clean(over)
            }
        }
        Rule::Generic => generic(base, over, path),
    }
}

fn generic(base: Node, over: Node, path: &[String]) -> Option<Node> {
    match (base.kind, over.kind) {
        (Kind::Map(mut entries), Kind::Map(others)) => {
            for (k, v) in others {
                let at = entries.iter().position(|(e, _)| e.name == k.name);
                match at {
                    Some(i) if !k.name.starts_with("x-") => {
                        let (_, old) = entries.remove(i);
                        let mut next = path.to_vec();
                        next.push(k.name.clone());
                        if let Some(m) = merge(old, v, &next) {
                            entries.insert(i, (k, m));
                        }
                    }
                    Some(i) => {
                        entries.remove(i);
                        if let Some(v) = clean(v) {
                            entries.insert(i, (k, v));
                        }
                    }
                    None => {
                        if let Some(v) = clean(v) {
                            entries.push((k, v));
                        }
                    }
                }
            }
            Some(Node {
                kind: Kind::Map(entries),
                span: over.span,
                tag: Tag::None,
            })
        }
        (Kind::Seq(mut items), Kind::Seq(others)) => {
            items.extend(others.into_iter().filter_map(clean));
            Some(Node {
                kind: Kind::Seq(items),
                span: over.span,
                tag: Tag::None,
            })
        }
        (_, kind) => clean(Node {
            kind,
            span: over.span,
            tag: over.tag,
        }),
    }
}

fn append(base: Node, over: Node) -> Option<Node> {
    match (base.kind, over.kind) {
        (Kind::Seq(mut items), Kind::Seq(others)) => {
            items.extend(others.into_iter().filter_map(clean));
            Some(Node::new(Kind::Seq(items), over.span))
        }
        (_, kind) => clean(Node::new(kind, over.span)),
    }
}

/// A map as `KEY=VALUE` items (`KEY` alone for null), sorted as compose-go does; a list
/// as it is.
fn to_kv_list(node: Node) -> Node {
    match node.kind {
        Kind::Map(entries) => {
            let mut items: Vec<Node> = entries
                .into_iter()
                .filter_map(|(k, v)| {
                    let v = clean(v)?;
                    let text = match v.scalar_text() {
                        Some(t) => format!("{}={t}", k.name),
                        None => k.name.clone(),
                    };
                    Some(Node::new(Kind::Str(text), k.span))
                })
                .collect();
            items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            Node::new(Kind::Seq(items), node.span)
        }
        kind => Node {
            kind,
            span: node.span,
            tag: node.tag,
        },
    }
}

/// A string as a one-item list.
fn to_list(node: Node) -> Node {
    match node.kind {
        Kind::Seq(_) => node,
        kind => {
            let span = node.span.clone();
            Node::new(Kind::Seq(vec![Node::new(kind, span.clone())]), span)
        }
    }
}

/// `depends_on` / `networks` list as the long map form.
fn list_to_map(node: Node, depends_on: bool) -> Node {
    match node.kind {
        Kind::Seq(items) => {
            let entries = items
                .into_iter()
                .filter_map(|item| {
                    let name = item.scalar_text()?;
                    let value = if depends_on {
                        let s = item.span.clone();
                        let key = |n: &str| Key {
                            name: n.into(),
                            span: s.clone(),
                        };
                        Node::new(
                            Kind::Map(vec![
                                (
                                    key("condition"),
                                    Node::new(Kind::Str("service_started".into()), s.clone()),
                                ),
                                (key("required"), Node::new(Kind::Bool(true), s.clone())),
                            ]),
                            s.clone(),
                        )
                    } else {
                        Node::new(Kind::Null, item.span.clone())
                    };
                    Some((
                        Key {
                            name,
                            span: item.span,
                        },
                        value,
                    ))
                })
                .collect();
            Node::new(Kind::Map(entries), node.span)
        }
        kind => Node {
            kind,
            span: node.span,
            tag: node.tag,
        },
    }
}

/// `build: dir` as `build: {context: dir}`.
fn build_map(node: Node) -> Node {
    match node.kind {
        Kind::Str(s) => {
            let span = node.span.clone();
            Node::new(
                Kind::Map(vec![(
                    Key {
                        name: "context".into(),
                        span: span.clone(),
                    },
                    Node::new(Kind::Str(s), span.clone()),
                )]),
                span,
            )
        }
        kind => Node {
            kind,
            span: node.span,
            tag: node.tag,
        },
    }
}

/// How entries of a sequence are told apart.
#[derive(Clone, Copy)]
enum Index {
    /// `KEY=VALUE` by `KEY`, other scalars by their text.
    KeyValue,
    /// The whole text.
    Exact,
    Port,
    Volume,
    Mount(&'static str),
}

fn index_rule(path: &[String]) -> Option<Index> {
    const TABLE: &[(&str, Index)] = &[
        ("services.*.environment", Index::KeyValue),
        ("services.*.labels", Index::KeyValue),
        ("services.*.annotations", Index::KeyValue),
        ("services.*.sysctls", Index::KeyValue),
        ("services.*.build.args", Index::KeyValue),
        ("services.*.build.labels", Index::KeyValue),
        ("services.*.build.additional_contexts", Index::KeyValue),
        ("services.*.deploy.labels", Index::KeyValue),
        ("networks.*.labels", Index::KeyValue),
        ("volumes.*.labels", Index::KeyValue),
        ("services.*.extra_hosts", Index::Exact),
        ("services.*.build.extra_hosts", Index::Exact),
        ("services.*.build.tags", Index::Exact),
        ("services.*.build.platforms", Index::Exact),
        ("services.*.cap_add", Index::Exact),
        ("services.*.cap_drop", Index::Exact),
        ("services.*.dns", Index::Exact),
        ("services.*.dns_opt", Index::Exact),
        ("services.*.dns_search", Index::Exact),
        ("services.*.env_file", Index::Exact),
        ("services.*.expose", Index::Exact),
        ("services.*.links", Index::Exact),
        ("services.*.profiles", Index::Exact),
        ("services.*.tmpfs", Index::Exact),
        ("services.*.devices", Index::Exact),
        ("services.*.depends_on", Index::Exact),
        ("services.*.networks", Index::Exact),
        ("services.*.networks.*.aliases", Index::Exact),
        ("services.*.networks.*.link_local_ips", Index::Exact),
        ("services.*.ports", Index::Port),
        ("services.*.volumes", Index::Volume),
        ("services.*.secrets", Index::Mount("/run/secrets/")),
        ("services.*.configs", Index::Mount("/")),
    ];
    TABLE
        .iter()
        .find(|(p, _)| matches(path, p))
        .map(|(_, r)| *r)
}

/// Keeps one entry per key in the sequences that are sets (see the module doc).
pub(crate) fn unicity(node: &mut Node, path: &mut Vec<String>) {
    match &mut node.kind {
        Kind::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                path.push(k.name.clone());
                unicity(v, path);
                path.pop();
            }
        }
        Kind::Seq(items) => {
            if let Some(rule) = index_rule(path) {
                let mut out: Vec<Node> = Vec::with_capacity(items.len());
                let mut keys: Vec<String> = Vec::new();
                for item in items.drain(..) {
                    let key = index_key(&item, rule);
                    match keys.iter().position(|k| *k == key) {
                        Some(j) => out[j] = item,
                        None => {
                            keys.push(key);
                            out.push(item);
                        }
                    }
                }
                *items = out;
            }
            for (i, item) in items.iter_mut().enumerate() {
                path.push(format!("[{i}]"));
                unicity(item, path);
                path.pop();
            }
        }
        _ => {}
    }
}

fn index_key(item: &Node, rule: Index) -> String {
    let text = item.scalar_text();
    match rule {
        Index::Exact => text.unwrap_or_else(|| format!("{:?}", item.kind)),
        Index::KeyValue => match text {
            Some(t) => t.split('=').next().unwrap_or_default().to_string(),
            None => format!("{:?}", item.kind),
        },
        Index::Port => port_key(item),
        Index::Volume => match text {
            Some(t) => volume_target(&t),
            None => item
                .get("target")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| format!("{:?}", item.kind)),
        },
        Index::Mount(prefix) => match text {
            Some(t) => format!("{prefix}{t}"),
            None => match item.get("target").and_then(Node::scalar_text) {
                Some(t) if t.starts_with('/') => t,
                Some(t) => format!("{prefix}{t}"),
                None => format!(
                    "{prefix}{}",
                    item.get("source")
                        .and_then(Node::scalar_text)
                        .unwrap_or_default()
                ),
            },
        },
    }
}

/// `ip:published:target/protocol` for a short or long port.
fn port_key(item: &Node) -> String {
    if let Some(text) = item.scalar_text() {
        let (spec, proto) = match text.rsplit_once('/') {
            Some((s, p)) => (s.to_string(), p.to_string()),
            None => (text.clone(), "tcp".to_string()),
        };
        let mut parts: Vec<&str> = spec.rsplitn(3, ':').collect();
        parts.reverse();
        let (ip, published, target) = match parts.as_slice() {
            [t] => ("", "", *t),
            [p, t] => ("", *p, *t),
            [ip, p, t] => (ip.trim_matches(['[', ']']), *p, *t),
            _ => ("", "", spec.as_str()),
        };
        return format!("{ip}:{published}:{target}/{proto}");
    }
    let f = |k: &str| item.get(k).and_then(Node::scalar_text).unwrap_or_default();
    let proto = match f("protocol") {
        p if p.is_empty() => "tcp".to_string(),
        p => p,
    };
    format!(
        "{}:{}:{}/{proto}",
        f("host_ip"),
        f("published"),
        f("target")
    )
}

/// The container path of a short volume (`src:dst[:mode]` or `dst`).
fn volume_target(text: &str) -> String {
    let parts: Vec<&str> = text.split(':').collect();
    match parts.as_slice() {
        [dst] => dst.to_string(),
        [_, dst] | [_, dst, _] => dst.to_string(),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::yaml::parse;
    use std::path::Path;

    fn doc(text: &str) -> Node {
        parse(text, Path::new("t.yaml")).expect("yaml").remove(0)
    }

    fn merged(a: &str, b: &str) -> serde_json::Value {
        let mut m = merge(doc(a), doc(b), &[]).expect("kept");
        unicity(&mut m, &mut Vec::new());
        let mut spans = crate::loaded::SpanIndex::default();
        super::super::spans::to_json(&m, "", &mut spans)
    }

    #[test]
    fn rules() {
        let base = "services:\n  web:\n    image: a\n    command: [x, y]\n    ports: ['80:80', '443:443']\n    environment: {A: '1', B: '2'}\n    labels: [l=1]\n    volumes: ['./a:/data', 'v:/v']\n    dns: 8.8.8.8\n    depends_on: [db]\n    healthcheck: {test: [CMD, a], interval: 1s}\n    x-thing: {a: 1}\n";
        let over = "services:\n  web:\n    image: b\n    command: [z]\n    ports: ['8080:80', {target: 443, published: '443'}]\n    environment: [B=3, C=4]\n    labels: {m: '2'}\n    volumes: ['./b:/data']\n    dns: [1.1.1.1]\n    depends_on: {cache: {condition: service_healthy}}\n    healthcheck: {test: [CMD, b]}\n    x-thing: {b: 2}\n";
        let m = merged(base, over);
        let web = &m["services"]["web"];
        assert_eq!(web["image"], "b");
        assert_eq!(web["command"], serde_json::json!(["z"]));
        assert_eq!(
            web["ports"],
            serde_json::json!(["80:80", {"target": 443, "published": "443"}, "8080:80"])
        );
        assert_eq!(web["environment"], serde_json::json!(["A=1", "B=3", "C=4"]));
        assert_eq!(web["labels"], serde_json::json!(["l=1", "m=2"]));
        assert_eq!(web["volumes"], serde_json::json!(["./b:/data", "v:/v"]));
        assert_eq!(web["dns"], serde_json::json!(["8.8.8.8", "1.1.1.1"]));
        assert_eq!(web["depends_on"]["db"]["condition"], "service_started");
        assert_eq!(web["depends_on"]["cache"]["condition"], "service_healthy");
        assert_eq!(
            web["healthcheck"],
            serde_json::json!({"test": ["CMD", "b"], "interval": "1s"})
        );
        assert_eq!(web["x-thing"], serde_json::json!({"b": 2}));
    }

    #[test]
    fn maps_merge_by_key_and_build_forms() {
        let m = merged(
            "services:\n  a:\n    environment: {A: '1', B: '2'}\n    build: ./dir\n    logging: {driver: json-file, options: {max-size: 1m}}\n",
            "services:\n  a:\n    environment: {B: '3'}\n    build: {target: dev}\n    logging: {driver: syslog, options: {tag: x}}\n",
        );
        let a = &m["services"]["a"];
        assert_eq!(a["environment"], serde_json::json!({"A": "1", "B": "3"}));
        assert_eq!(
            a["build"],
            serde_json::json!({"context": "./dir", "target": "dev"})
        );
        assert_eq!(
            a["logging"],
            serde_json::json!({"driver": "syslog", "options": {"tag": "x"}})
        );
    }

    #[test]
    fn reset_and_override() {
        let m = merged(
            "services:\n  a:\n    image: x\n    ports: ['1:1']\n    environment: {A: '1'}\n    user: root\n",
            "services:\n  a:\n    ports: !reset []\n    environment: !override {B: '2'}\n    user: !reset null\n    cap_add: !reset [X]\n",
        );
        let a = &m["services"]["a"];
        assert!(a.get("ports").is_none());
        assert!(a.get("user").is_none());
        assert!(a.get("cap_add").is_none());
        assert_eq!(a["environment"], serde_json::json!({"B": "2"}));
        assert_eq!(a["image"], "x");
    }
}

//! The YAML tree as JSON, recording the span of every key and item on the way.

use serde_json::{Map, Number, Value};

use super::interpolate::join;
use super::yaml::{Kind, Node};
use crate::loaded::SpanIndex;

/// `node` as JSON; every map key path and sequence item path under `path` goes to `spans`.
pub(crate) fn to_json(node: &Node, path: &str, spans: &mut SpanIndex) -> Value {
    match &node.kind {
        Kind::Null => Value::Null,
        Kind::Bool(b) => Value::Bool(*b),
        Kind::Int(i) => Value::Number((*i).into()),
        Kind::Float(f) => {
            Number::from_f64(*f).map_or_else(|| Value::String(f.to_string()), Value::Number)
        }
        Kind::Str(s) => Value::String(s.clone()),
        Kind::Seq(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let p = format!("{path}[{i}]");
                    spans.insert(p.clone(), item.span.clone());
                    to_json(item, &p, spans)
                })
                .collect(),
        ),
        Kind::Map(entries) => {
            let mut m = Map::new();
            for (k, v) in entries {
                let p = join(path, &k.name);
                spans.insert(p.clone(), k.span.clone());
                m.insert(k.name.clone(), to_json(v, &p, spans));
            }
            Value::Object(m)
        }
    }
}

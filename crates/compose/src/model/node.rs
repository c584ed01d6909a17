//! A cursor over the loaded document: a value, its key path (`services.web.ports[0]`) and the
//! span index, so that every conversion error names the file and line it came from.

use serde_json::Value;

use crate::error::Error;
use crate::loaded::SpanIndex;
use crate::Result;

/// A value of the document and where it sits.
#[derive(Clone, Copy)]
pub(crate) struct Node<'a, 'p> {
    /// The value.
    pub v: &'a Value,
    /// Its key path.
    pub path: &'p str,
    spans: &'a SpanIndex,
}

/// An owned key path with its value, for children of a [`Node`].
pub(crate) struct Child<'a> {
    v: &'a Value,
    path: String,
    spans: &'a SpanIndex,
}

impl<'a> Child<'a> {
    /// The child as a node.
    pub fn node(&self) -> Node<'a, '_> {
        Node {
            v: self.v,
            path: &self.path,
            spans: self.spans,
        }
    }
}

impl<'a, 'p> Node<'a, 'p> {
    /// The root of a document.
    pub fn root(v: &'a Value, path: &'p str, spans: &'a SpanIndex) -> Self {
        Node { v, path, spans }
    }

    /// An error at this node.
    pub fn err(&self, message: impl Into<String>) -> Error {
        error_at(self.spans, self.path, message)
    }

    /// The span index.
    pub fn spans(&self) -> &'a SpanIndex {
        self.spans
    }

    /// Whether the value is null.
    pub fn is_null(&self) -> bool {
        self.v.is_null()
    }

    /// The child under `key` of a mapping (None when absent or when this is no mapping).
    pub fn get(&self, key: &str) -> Option<Child<'a>> {
        let v = self.v.as_object()?.get(key)?;
        Some(Child {
            v,
            path: join_key(self.path, key),
            spans: self.spans,
        })
    }

    /// The entries of a mapping, in document order.
    pub fn entries(&self) -> Result<Vec<(&'a str, Child<'a>)>> {
        let map = self
            .v
            .as_object()
            .ok_or_else(|| self.err(format!("must be a mapping, not {}", kind(self.v))))?;
        Ok(map
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    Child {
                        v,
                        path: join_key(self.path, k),
                        spans: self.spans,
                    },
                )
            })
            .collect())
    }

    /// The entries of a mapping, or none when the value is null.
    pub fn entries_or_null(&self) -> Result<Vec<(&'a str, Child<'a>)>> {
        if self.is_null() {
            return Ok(Vec::new());
        }
        self.entries()
    }

    /// The items of a sequence.
    pub fn items(&self) -> Result<Vec<Child<'a>>> {
        let seq = self
            .v
            .as_array()
            .ok_or_else(|| self.err(format!("must be a list, not {}", kind(self.v))))?;
        Ok(seq
            .iter()
            .enumerate()
            .map(|(i, v)| Child {
                v,
                path: format!("{}[{i}]", self.path),
                spans: self.spans,
            })
            .collect())
    }

    /// A string.
    pub fn str(&self) -> Result<&'a str> {
        self.v
            .as_str()
            .ok_or_else(|| self.err(format!("must be a string, not {}", kind(self.v))))
    }

    /// A scalar as a string: numbers and booleans are written as YAML would print them.
    pub fn scalar(&self) -> Result<String> {
        scalar_string(self.v).ok_or_else(|| {
            self.err(format!(
                "must be a string, number or boolean, not {}",
                kind(self.v)
            ))
        })
    }

    /// A scalar as a string, or None when null.
    pub fn opt_scalar(&self) -> Result<Option<String>> {
        if self.is_null() {
            return Ok(None);
        }
        self.scalar().map(Some)
    }

    /// A boolean (also the strings `true`/`false`, as compose accepts them).
    pub fn bool(&self) -> Result<bool> {
        match self.v {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            v => Err(self.err(format!("must be a boolean, not {}", kind(v)))),
        }
    }

    /// A non-negative integer (also a string of digits).
    pub fn u64(&self) -> Result<u64> {
        match self.v {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            self.err(format!(
                "must be a non-negative integer, not {}",
                show(self.v)
            ))
        })
    }

    /// An integer (also a string of digits).
    pub fn i64(&self) -> Result<i64> {
        match self.v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| self.err(format!("must be an integer, not {}", show(self.v))))
    }

    /// A number (also a numeric string).
    pub fn f64(&self) -> Result<f64> {
        match self.v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|f: &f64| f.is_finite())
        .ok_or_else(|| self.err(format!("must be a number, not {}", show(self.v))))
    }

    /// A string or a list of strings (scalars), as a list.
    pub fn string_or_list(&self) -> Result<Vec<String>> {
        match self.v {
            Value::Null => Ok(Vec::new()),
            Value::Array(_) => self.items()?.iter().map(|c| c.node().scalar()).collect(),
            _ => Ok(vec![self.scalar()?]),
        }
    }
}

/// The error for `path`, located through the span index.
pub(crate) fn error_at(spans: &SpanIndex, path: &str, message: impl Into<String>) -> Error {
    Error::At {
        span: spans.locate(path).cloned(),
        path: path.to_string(),
        message: message.into(),
    }
}

fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A scalar as compose writes it into a string.
pub(crate) fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        Value::Number(n) => n.to_string(),
        v => kind(v).to_string(),
    }
}

//! berth-gotemplate's public API (`Template::parse/parse_raw/with_missing_key_error/
//! render/render_header/field_names`, `FormatError`) implemented on the `gotmpl` crate,
//! with Docker's template functions registered as custom functions.

use crate::gojson::go_json;
use gotmpl::parse::{Expr, ListNode, Node, Parser, PipeNode};
use gotmpl::{FuncMap, MissingKey, TemplateError, Value as G};
use serde_json::Value;
use std::sync::Arc;

/// Parse or execution error, displayed like berth-gotemplate's (`template parsing error: ...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "template parsing error: {}", self.0)
    }
}

fn err(e: TemplateError) -> FormatError {
    FormatError(e.to_string())
}

/// A parsed template: one gotmpl template with Docker's functions for rows, one with
/// Docker's header functions for table headers.
pub struct Template {
    rows: gotmpl::Template,
    header: gotmpl::Template,
    fields: Vec<String>,
}

impl Template {
    /// Like berth-gotemplate's: `\t`/`\n` unescaped first.
    pub fn parse(format: &str) -> Result<Template, FormatError> {
        Self::parse_raw(&berth_gotemplate::unescape_format(format))
    }

    /// Parses the text as-is.
    pub fn parse_raw(text: &str) -> Result<Template, FormatError> {
        let rows = gotmpl::Template::new("")
            .funcs(docker_functions())
            .parse(text)
            .map_err(err)?;
        let header = gotmpl::Template::new("")
            .funcs(header_functions())
            .parse(text)
            .map_err(err)?;
        let (tree, _) = Parser::new(text, "{{", "}}")
            .and_then(Parser::parse)
            .map_err(err)?;
        let mut fields = Vec::new();
        collect_list(&tree, &mut fields);
        Ok(Template {
            rows,
            header,
            fields,
        })
    }

    /// Missing map keys become errors.
    pub fn with_missing_key_error(mut self) -> Template {
        self.rows = self.rows.missing_key(MissingKey::Error);
        self
    }

    /// Renders with `data` as dot.
    pub fn render(&self, data: &Value) -> Result<String, FormatError> {
        self.rows.execute_to_string(&to_gotmpl(data)).map_err(err)
    }

    /// Renders a table header; output written before an error is kept.
    pub fn render_header(&self, headers: &Value) -> String {
        let mut out = String::new();
        let _ = self.header.execute_fmt(&mut out, &to_gotmpl(headers));
        out
    }

    /// First-level field names, in order of appearance.
    pub fn field_names(&self) -> Vec<String> {
        self.fields.clone()
    }
}

fn collect_list(list: &ListNode, out: &mut Vec<String>) {
    for node in &list.nodes {
        match node {
            Node::List(l) => collect_list(l, out),
            Node::Action(a) => collect_pipe(&a.pipe, out),
            Node::If(b) | Node::Range(b) | Node::With(b) => {
                collect_pipe(&b.pipe, out);
                collect_list(&b.body, out);
                if let Some(e) = &b.else_body {
                    collect_list(e, out);
                }
            }
            _ => {}
        }
    }
}

fn collect_pipe(pipe: &PipeNode, out: &mut Vec<String>) {
    for cmd in &pipe.commands {
        for arg in &cmd.args {
            collect_expr(arg, out);
        }
    }
}

fn collect_expr(e: &Expr, out: &mut Vec<String>) {
    match e {
        Expr::Field(_, idents) => {
            if let Some(first) = idents.first() {
                if !out.iter().any(|n| n == first.as_str()) {
                    out.push(first.to_string());
                }
            }
        }
        Expr::Pipe(_, p) => collect_pipe(p, out),
        Expr::Chain(_, inner, _) => collect_expr(inner, out),
        _ => {}
    }
}

/// JSON data as gotmpl values: integers as Int (Uint above i64), other numbers as Float.
pub fn to_gotmpl(v: &Value) -> G {
    match v {
        Value::Null => G::Nil,
        Value::Bool(b) => G::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => G::Int(i),
            (None, Some(u)) => G::Uint(u),
            _ => G::Float(n.as_f64().unwrap_or(0.0)),
        },
        Value::String(s) => G::String(s.as_str().into()),
        Value::Array(a) => G::List(a.iter().map(to_gotmpl).collect()),
        Value::Object(o) => G::Map(Arc::new(
            o.iter()
                .map(|(k, v)| (Arc::from(k.as_str()), to_gotmpl(v)))
                .collect(),
        )),
    }
}

/// gotmpl values back to JSON, for Docker's `json` function.
fn to_json(v: &G) -> Value {
    match v {
        G::Nil | G::Function(_) => Value::Null,
        G::Bool(b) => Value::Bool(*b),
        G::Int(i) => Value::from(*i),
        G::Uint(u) => Value::from(*u),
        G::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        G::String(s) => Value::String(s.to_string()),
        G::List(l) => Value::Array(l.iter().map(to_json).collect()),
        G::Map(m) => Value::Object(m.iter().map(|(k, v)| (k.to_string(), to_json(v))).collect()),
    }
}

fn arity(name: &str, args: &[G], want: usize) -> gotmpl::Result<()> {
    if args.len() != want {
        return Err(TemplateError::ArgCount {
            name: name.into(),
            expected: want,
            got: args.len(),
        });
    }
    Ok(())
}

fn string_arg(args: &[G], i: usize) -> gotmpl::Result<String> {
    match &args[i] {
        G::String(s) => Ok(s.to_string()),
        G::Nil => Ok(String::new()),
        v @ (G::Bool(_) | G::Int(_) | G::Uint(_) | G::Float(_)) => Ok(v.to_string()),
        _ => Err(TemplateError::TypeMismatch {
            expected: "string",
            got: "non-string",
        }),
    }
}

fn int_arg(args: &[G], i: usize) -> gotmpl::Result<i64> {
    args[i].as_int().ok_or(TemplateError::TypeMismatch {
        expected: "int",
        got: "non-int",
    })
}

fn s(v: String) -> gotmpl::Result<G> {
    Ok(G::String(v.into()))
}

/// Docker's `basicFunctions` (docker/cli templates/templates.go).
pub fn docker_functions() -> FuncMap {
    let mut m = FuncMap::new();
    m.insert(
        "json".into(),
        Arc::new(|a: &[G]| {
            arity("json", a, 1)?;
            s(go_json(&to_json(&a[0])))
        }),
    );
    m.insert(
        "split".into(),
        Arc::new(|a: &[G]| {
            arity("split", a, 2)?;
            let (text, sep) = (string_arg(a, 0)?, string_arg(a, 1)?);
            let parts: Vec<G> = if sep.is_empty() {
                text.chars()
                    .map(|c| G::String(c.to_string().into()))
                    .collect()
            } else {
                text.split(sep.as_str())
                    .map(|p| G::String(p.into()))
                    .collect()
            };
            Ok(G::List(parts.into()))
        }),
    );
    m.insert(
        "join".into(),
        Arc::new(|a: &[G]| {
            arity("join", a, 2)?;
            let sep = string_arg(a, 1)?;
            match &a[0] {
                G::List(items) => s(items
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(&sep)),
                G::Nil => s(String::new()),
                _ => Err(TemplateError::TypeMismatch {
                    expected: "[]string",
                    got: "non-list",
                }),
            }
        }),
    );
    m.insert(
        "title".into(),
        Arc::new(|a: &[G]| {
            arity("title", a, 1)?;
            s(title(&string_arg(a, 0)?))
        }),
    );
    m.insert(
        "lower".into(),
        Arc::new(|a: &[G]| {
            arity("lower", a, 1)?;
            s(string_arg(a, 0)?.to_lowercase())
        }),
    );
    m.insert(
        "upper".into(),
        Arc::new(|a: &[G]| {
            arity("upper", a, 1)?;
            s(string_arg(a, 0)?.to_uppercase())
        }),
    );
    m.insert(
        "pad".into(),
        Arc::new(|a: &[G]| {
            arity("pad", a, 3)?;
            let text = string_arg(a, 0)?;
            let (pre, post) = (int_arg(a, 1)?, int_arg(a, 2)?);
            if text.is_empty() {
                return s(text);
            }
            let rep = |n: i64| " ".repeat(n.clamp(0, 10_000) as usize);
            s(format!("{}{text}{}", rep(pre), rep(post)))
        }),
    );
    m.insert(
        "truncate".into(),
        Arc::new(|a: &[G]| {
            arity("truncate", a, 2)?;
            let text = string_arg(a, 0)?;
            let n = int_arg(a, 1)?.max(0) as usize;
            if text.len() < n {
                return s(text);
            }
            let mut end = n;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            s(text[..end].to_string())
        }),
    );
    m
}

/// Docker's `HeaderFunctions`: the first argument, unchanged.
pub fn header_functions() -> FuncMap {
    let mut m = FuncMap::new();
    for (name, n) in [
        ("json", 1),
        ("title", 1),
        ("lower", 1),
        ("upper", 1),
        ("split", 2),
        ("join", 2),
        ("truncate", 2),
    ] {
        m.insert(
            name.into(),
            Arc::new(move |a: &[G]| {
                arity(name, a, n)?;
                match &a[0] {
                    G::String(_) => Ok(a[0].clone()),
                    _ => Err(TemplateError::TypeMismatch {
                        expected: "string",
                        got: "non-string",
                    }),
                }
            }),
        );
    }
    m
}

/// Go's deprecated `strings.Title`.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev_sep = true;
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        };
    }
    out
}

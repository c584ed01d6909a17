//! Compose YAML as written, with the position of every key and item.
//!
//! Built on `saphyr-parser`'s event stream (the maintained successor of yaml-rust, a full YAML
//! 1.2 parser that reports a span for every event and keeps anchors and tags). A high-level
//! loader (`saphyr`, `yaml_serde`) would either drop custom tags like `!reset`, forget
//! positions, or skip `<<` merge keys; building the tree here from events gives all three:
//! aliases are expanded by copying the anchored node, `<<` keys are applied as YAML 1.1 merge
//! keys (explicit keys win, then the merged maps in order), and `!reset` / `!override` are
//! kept on the node for the merge. Plain scalars resolve with the YAML 1.2 core schema, as
//! compose-go's go-yaml v3 does (so `80:80` stays a string).

use std::collections::HashMap;
use std::path::Path;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan, Tag as YTag};

use crate::error::{Error, Result};
use crate::loaded::Span;

/// A compose-relevant tag on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    /// No tag that matters for merging.
    None,
    /// `!reset`: remove the value inherited from an earlier file or an extended service.
    Reset,
    /// `!override`: replace the inherited value instead of merging with it.
    Override,
}

/// A YAML value with where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// The value.
    pub kind: Kind,
    /// Where the value starts.
    pub span: Span,
    /// Its merge tag.
    pub tag: Tag,
}

/// A mapping key with where it was written.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    /// The key text.
    pub name: String,
    /// Where the key was written.
    pub span: Span,
}

/// The value of a [`Node`].
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

impl Node {
    /// A node of `kind` at `span`, untagged.
    pub fn new(kind: Kind, span: Span) -> Node {
        Node {
            kind,
            span,
            tag: Tag::None,
        }
    }

    /// The entries when this is a mapping.
    pub fn as_map(&self) -> Option<&Vec<(Key, Node)>> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The entries when this is a mapping, mutable.
    pub fn as_map_mut(&mut self) -> Option<&mut Vec<(Key, Node)>> {
        match &mut self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The text when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// The value of `key` when this is a mapping, mutable.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut()?
            .iter_mut()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// Removes `key` from a mapping, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let m = self.as_map_mut()?;
        let i = m.iter().position(|(k, _)| k.name == key)?;
        Some(m.remove(i).1)
    }

    /// Sets `key` in a mapping (replacing it in place, or appending it).
    pub fn set(&mut self, key: Key, value: Node) {
        if let Some(m) = self.as_map_mut() {
            if let Some(slot) = m.iter_mut().find(|(k, _)| k.name == key.name) {
                *slot = (key, value);
            } else {
                m.push((key, value));
            }
        }
    }

    /// A scalar as text (what compose-go prints with `%v`), `None` for collections and null.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            Kind::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// Parses every document of `text` (file `file`); several documents are returned in order.
/// An empty file gives no documents.
/// The deepest nesting of sequences and maps accepted. saphyr-parser stops flow collections
/// at 255 levels; block ones have no limit there, and the recursive passes after parsing
/// (interpolation, merge, conversion, validation) would overflow the stack on a few thousand.
const MAX_DEPTH: usize = 256;

/// The most nodes aliases may copy into one file (go-yaml refuses such files too): a few
/// lines of nested aliases would otherwise expand to billions of nodes.
const MAX_ALIASED_NODES: usize = 100_000;

pub(crate) fn parse(text: &str, file: &Path) -> Result<Vec<Node>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut b = Builder {
        file,
        stack: Vec::new(),
        anchors: HashMap::new(),
        aliased: 0,
        docs: Vec::new(),
    };
    for ev in Parser::new_from_str(text) {
        let (ev, span) = ev.map_err(|e| Error::At {
            span: Some(Span {
                file: file.to_path_buf(),
                line: e.marker().line(),
                column: e.marker().col() + 1,
            }),
            path: String::new(),
            message: format!("yaml: {}", e.info()),
        })?;
        b.event(ev, span)?;
    }
    Ok(b.docs)
}

enum Frame {
    Seq {
        items: Vec<Node>,
        span: Span,
        anchor: usize,
        tag: Tag,
    },
    Map {
        entries: Vec<(Key, Node)>,
        merges: Vec<Node>,
        key: Option<Node>,
        span: Span,
        anchor: usize,
        tag: Tag,
    },
}

struct Builder<'a> {
    file: &'a Path,
    stack: Vec<Frame>,
    /// Anchored nodes with their sizes in nodes.
    anchors: HashMap<usize, (Node, usize)>,
    /// Nodes copied by aliases so far.
    aliased: usize,
    docs: Vec<Node>,
}

impl Builder<'_> {
    fn span(&self, s: &YSpan) -> Span {
        Span {
            file: self.file.to_path_buf(),
            line: s.start.line(),
            column: s.start.col() + 1,
        }
    }

    fn err(&self, span: &Span, message: String) -> Error {
        Error::At {
            span: Some(span.clone()),
            path: String::new(),
            message,
        }
    }

    /// Takes one parser event: a scalar or alias becomes a node in the open collection, a
    /// collection start opens a frame, its end closes it into a node.
    fn event(&mut self, ev: Event<'_>, ys: YSpan) -> Result<()> {
        let span = self.span(&ys);
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let mut node = scalar(&text, style, tag.as_deref());
                node.span = span;
                node.tag = compose_tag(tag.as_deref());
                self.anchor(anchor, &node);
                self.push(node)
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    return Err(self.err(&span, "yaml: unknown anchor".into()));
                };
                self.aliased = self.aliased.saturating_add(*size);
                if self.aliased > MAX_ALIASED_NODES {
                    return Err(
                        self.err(&span, "yaml: document contains excessive aliasing".into())
                    );
                }
                let mut node = node.clone();
                node.span = span;
                self.push(node)
            }
            Event::SequenceStart(anchor, tag) => {
                self.check_depth(&span)?;
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    span,
                    anchor,
                    tag: compose_tag(tag.as_deref()),
                });
                Ok(())
            }
            Event::MappingStart(anchor, tag) => {
                self.check_depth(&span)?;
                self.stack.push(Frame::Map {
                    entries: Vec::new(),
                    merges: Vec::new(),
                    key: None,
                    span,
                    anchor,
                    tag: compose_tag(tag.as_deref()),
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (node, anchor) = self.close(frame)?;
                self.anchor(anchor, &node);
                self.push(node)
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => Ok(()),
        }
    }

    fn check_depth(&self, span: &Span) -> Result<()> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.err(
                span,
                format!("yaml: nesting deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    /// A finished sequence or mapping (its merge keys applied) as a node, with its anchor.
    fn close(&mut self, frame: Frame) -> Result<(Node, usize)> {
        Ok(match frame {
            Frame::Seq {
                items,
                span,
                anchor,
                tag,
            } => (
                Node {
                    kind: Kind::Seq(items),
                    span,
                    tag,
                },
                anchor,
            ),
            Frame::Map {
                mut entries,
                merges,
                span,
                anchor,
                tag,
                ..
            } => {
                for m in merges {
                    apply_merge(&mut entries, m, self)?;
                }
                (
                    Node {
                        kind: Kind::Map(entries),
                        span,
                        tag,
                    },
                    anchor,
                )
            }
        })
    }

    fn anchor(&mut self, id: usize, node: &Node) {
        if id > 0 {
            self.anchors.insert(id, (node.clone(), node_count(node)));
        }
    }

    fn push(&mut self, node: Node) -> Result<()> {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                merges,
                key,
                ..
            }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    let name = match &k.kind {
                        Kind::Str(s) => s.clone(),
                        Kind::Null => "null".into(),
                        Kind::Seq(_) | Kind::Map(_) => {
                            return Err(self.err(&k.span, "yaml: unsupported complex key".into()))
                        }
                        _ => k.scalar_text().unwrap_or_default(),
                    };
                    if name == "<<" && matches!(k.kind, Kind::Str(_)) {
                        merges.push(node);
                        return Ok(());
                    }
                    if let Some((prev, _)) = entries.iter().find(|(p, _)| p.name == name) {
                        let line = prev.span.line;
                        return Err(self.err(
                            &k.span,
                            format!("yaml: mapping key {name:?} already defined at line {line}"),
                        ));
                    }
                    entries.push((Key { name, span: k.span }, node));
                }
            },
        }
        Ok(())
    }
}

/// The number of nodes in `node` (itself included).
fn node_count(node: &Node) -> usize {
    match &node.kind {
        Kind::Seq(items) => 1 + items.iter().map(node_count).sum::<usize>(),
        Kind::Map(entries) => 1 + entries.iter().map(|(_, v)| node_count(v)).sum::<usize>(),
        _ => 1,
    }
}

/// Applies one `<<` value (a map, or a list of maps) to `entries`: keys already present win.
fn apply_merge(entries: &mut Vec<(Key, Node)>, value: Node, b: &Builder<'_>) -> Result<()> {
    let maps = match value.kind {
        Kind::Map(m) => vec![m],
        Kind::Seq(items) => {
            let mut maps = Vec::new();
            for item in items {
                match item.kind {
                    Kind::Map(m) => maps.push(m),
                    _ => {
                        return Err(b.err(
                            &item.span,
                            "yaml: map merge requires map or sequence of maps as the value".into(),
                        ))
                    }
                }
            }
            maps
        }
        _ => {
            return Err(b.err(
                &value.span,
                "yaml: map merge requires map or sequence of maps as the value".into(),
            ))
        }
    };
    for m in maps {
        for (k, v) in m {
            if !entries.iter().any(|(e, _)| e.name == k.name) {
                entries.push((k, v));
            }
        }
    }
    Ok(())
}

fn compose_tag(tag: Option<&YTag>) -> Tag {
    match tag {
        Some(t) if t.handle == "!" && t.suffix == "reset" => Tag::Reset,
        Some(t) if t.handle == "!" && t.suffix == "override" => Tag::Override,
        _ => Tag::None,
    }
}

fn placeholder() -> Span {
    Span {
        file: Default::default(),
        line: 0,
        column: 0,
    }
}

/// Resolves a scalar: quoted or `!!str` -> string, plain -> YAML 1.2 core schema.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&YTag>) -> Node {
    let s = placeholder();
    if let Some(t) = tag {
        if t.handle == "tag:yaml.org,2002:" || t.handle == "!!" {
            let forced = match t.suffix.as_str() {
                "str" => Some(Kind::Str(text.to_string())),
                "null" => Some(Kind::Null),
                "bool" => parse_bool(text).map(Kind::Bool),
                "int" => parse_int(text).map(Kind::Int),
                "float" => parse_float(text).map(Kind::Float),
                _ => None,
            };
            if let Some(k) = forced {
                return Node::new(k, s);
            }
        } else if t.suffix != "reset" && t.suffix != "override" {
            return Node::new(Kind::Str(text.to_string()), s);
        }
    }
    if style != ScalarStyle::Plain {
        return Node::new(Kind::Str(text.to_string()), s);
    }
    let kind = if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        Kind::Null
    } else if let Some(b) = parse_bool(text) {
        Kind::Bool(b)
    } else if let Some(i) = parse_int(text) {
        Kind::Int(i)
    } else if let Some(f) = parse_float(text) {
        Kind::Float(f)
    } else {
        Kind::Str(text.to_string())
    };
    Node::new(kind, s)
}

fn parse_bool(t: &str) -> Option<bool> {
    match t {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn parse_int(t: &str) -> Option<i64> {
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let v = if let Some(h) = digits.strip_prefix("0x") {
        if h.is_empty() || !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = digits.strip_prefix("0o") {
        if o.is_empty() || !o.bytes().all(|c| (b'0'..=b'7').contains(&c)) {
            return None;
        }
        i64::from_str_radix(o, 8).ok()?
    } else {
        if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        digits.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

fn parse_float(t: &str) -> Option<f64> {
    match t {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = match mant.find('.') {
        Some(i) => (&mant[..i], Some(&mant[i + 1..])),
        None => (mant, None),
    };
    let digits = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
    let ok_mant = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let ok_exp = match exp {
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && digits(e)
        }
        None => true,
    };
    if ok_mant && ok_exp && (frac.is_some() || exp.is_some()) {
        t.parse::<f64>().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        parse(text, Path::new("t.yaml"))
            .expect("parses")
            .into_iter()
            .next()
            .expect("a document")
    }

    #[test]
    fn scalars_resolve_with_the_core_schema() {
        let n = one("a: 80:80\nb: 1\nc: 1.5\nd: true\ne: ~\nf: '1'\ng: 1.5G\nh: 0x1f\ni: yes\n");
        assert_eq!(n.get("a").and_then(Node::as_str), Some("80:80"));
        assert!(matches!(n.get("b").map(|n| &n.kind), Some(Kind::Int(1))));
        assert!(matches!(n.get("c").map(|n| &n.kind), Some(Kind::Float(f)) if *f == 1.5));
        assert!(matches!(
            n.get("d").map(|n| &n.kind),
            Some(Kind::Bool(true))
        ));
        assert!(matches!(n.get("e").map(|n| &n.kind), Some(Kind::Null)));
        assert_eq!(n.get("f").and_then(Node::as_str), Some("1"));
        assert_eq!(n.get("g").and_then(Node::as_str), Some("1.5G"));
        assert!(matches!(n.get("h").map(|n| &n.kind), Some(Kind::Int(31))));
        assert_eq!(n.get("i").and_then(Node::as_str), Some("yes"));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let n = one(
            "x-base: &base\n  image: busybox\n  restart: always\nservices:\n  a:\n    <<: *base\n    restart: 'no'\n  b: *base\n  c:\n    <<: [*base, {user: root}]\n",
        );
        let a = n.get("services").and_then(|s| s.get("a")).expect("a");
        assert_eq!(a.get("image").and_then(Node::as_str), Some("busybox"));
        assert_eq!(a.get("restart").and_then(Node::as_str), Some("no"));
        let b = n.get("services").and_then(|s| s.get("b")).expect("b");
        assert_eq!(b.get("restart").and_then(Node::as_str), Some("always"));
        let c = n.get("services").and_then(|s| s.get("c")).expect("c");
        assert_eq!(c.get("user").and_then(Node::as_str), Some("root"));
    }

    #[test]
    fn positions_tags_and_duplicates() {
        let n = one("services:\n  web:\n    ports: !reset []\n    command: !override [a]\n");
        let (k, v) = &n.get("services").and_then(|s| s.as_map()).expect("map")[0];
        assert_eq!((k.name.as_str(), k.span.line, k.span.column), ("web", 2, 3));
        assert_eq!(v.get("ports").map(|p| p.tag), Some(Tag::Reset));
        assert_eq!(v.get("command").map(|p| p.tag), Some(Tag::Override));
        let e = parse("a: 1\na: 2\n", Path::new("t.yaml")).expect_err("duplicate");
        assert!(e.to_string().contains("t.yaml:2:1"), "{e}");
        assert!(e.to_string().contains("already defined at line 1"), "{e}");
    }

    /// Found by fuzzing: thousands of nested block sequences overflowed the stack after
    /// parsing (a process abort, not an error).
    #[test]
    fn deep_nesting_is_an_error() {
        let nested = |n: usize| {
            let mut s = String::from("x:\n");
            for i in 1..=n {
                s.push_str(&" ".repeat(i));
                s.push_str("-\n");
            }
            s
        };
        assert!(parse(&nested(MAX_DEPTH - 1), Path::new("t.yaml")).is_ok());
        for text in [nested(5000), format!("x:\n{}1\n", "- ".repeat(1000))] {
            let e = parse(&text, Path::new("t.yaml")).expect_err("too deep");
            assert!(e.to_string().contains("nesting deeper than 256"), "{e}");
        }
    }

    /// Found by fuzzing: seven lines of nested aliases expanded to ten million nodes.
    #[test]
    fn excessive_aliasing_is_an_error() {
        let mut laughs = String::from("a0: &a0 [1,1,1,1,1,1,1,1,1,1]\n");
        for i in 1..7 {
            let refs = vec![format!("*a{}", i - 1); 10].join(",");
            laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let e = parse(&laughs, Path::new("t.yaml")).expect_err("too many aliased nodes");
        assert!(e.to_string().contains("excessive aliasing"), "{e}");
        // Ordinary reuse is fine.
        let n = one("x: &x {a: 1, b: [1, 2]}\ny: *x\nz: {<<: *x, c: 3}\n");
        assert!(n.get("y").and_then(|y| y.get("b")).is_some());
    }
}

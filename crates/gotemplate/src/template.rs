//! Docker's `--format` templates: a Go `text/template` implementation over
//! `serde_json::Value` data.
//!
//! Supported: fields (`{{.A.B}}`), variables (`$`, `$x := ...`, `$x = ...`),
//! pipes, parenthesized pipelines, `if`/`else if`/`with`/`range`/`break`/
//! `continue`, comments, trim markers (`{{-`, `-}}`), and the functions in
//! [`crate::funcs`]. `define`/`template`/`block` are rejected at parse time.

use crate::ast::{Arg, List, Node, Pipe};
use crate::error::FormatError;
use crate::exec::{execute, Options};
use serde_json::Value;

/// A parsed template, ready to render any number of values.
#[derive(Debug, Clone)]
pub struct Template {
    text: String,
    root: List,
    missing_key_error: bool,
}

/// Replaces the two-character sequences `\t` and `\n` with a tab and a
/// newline, as the Docker CLI does for `--format` strings.
pub fn unescape_format(format: &str) -> String {
    let mut out = String::with_capacity(format.len());
    let mut rest = format;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        match rest.as_bytes().get(i + 1) {
            Some(b't') => out.push('\t'),
            Some(b'n') => out.push('\n'),
            _ => {
                out.push('\\');
                rest = &rest[i + 1..];
                continue;
            }
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

impl Template {
    /// Parses a `--format` string, first turning literal `\t`/`\n` into tab
    /// and newline like the Docker CLI's list commands do.
    pub fn parse(format: &str) -> Result<Template, FormatError> {
        Self::parse_raw(&unescape_format(format))
    }

    /// Parses template text as-is (what `docker inspect --format` does).
    pub fn parse_raw(text: &str) -> Result<Template, FormatError> {
        let root = super::parser::parse(text)?;
        Ok(Template {
            text: text.to_string(),
            root,
            missing_key_error: false,
        })
    }

    /// Makes missing map keys an error (`map has no entry for key "X"`),
    /// like Go's `missingkey=error` which `docker inspect` uses for raw data.
    pub fn with_missing_key_error(mut self) -> Template {
        self.missing_key_error = true;
        self
    }

    /// Renders the template with `data` as dot.
    pub fn render(&self, data: &Value) -> Result<String, FormatError> {
        let mut out = String::new();
        let opts = Options {
            missing_key_error: self.missing_key_error,
            header_mode: false,
        };
        execute(&self.text, &self.root, data, opts, &mut out)?;
        Ok(out)
    }

    /// Renders a table header the way Docker does: the template runs against
    /// a map of column titles with pass-through functions, and whatever was
    /// printed before an error is kept.
    pub fn render_header(&self, headers: &Value) -> String {
        let mut out = String::new();
        let opts = Options {
            missing_key_error: false,
            header_mode: true,
        };
        let _ = execute(&self.text, &self.root, headers, opts, &mut out);
        out
    }

    /// The distinct first-level field names used anywhere in the template
    /// (`{{.Names}}` -> `Names`), in order of appearance.
    pub fn field_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        collect_list(&self.root, &mut names);
        names
    }
}

fn collect_list(list: &List, names: &mut Vec<String>) {
    for node in list {
        match node {
            Node::Action(p) => collect_pipe(p, names),
            Node::Control {
                pipe,
                list,
                else_list,
                ..
            } => {
                collect_pipe(pipe, names);
                collect_list(list, names);
                if let Some(e) = else_list {
                    collect_list(e, names);
                }
            }
            Node::Text(_) | Node::Break | Node::Continue => {}
        }
    }
}

fn collect_pipe(pipe: &Pipe, names: &mut Vec<String>) {
    for cmd in &pipe.cmds {
        for arg in &cmd.args {
            collect_arg(arg, names);
        }
    }
}

fn collect_arg(arg: &Arg, names: &mut Vec<String>) {
    match arg {
        Arg::Field { idents, .. } => {
            if let Some(first) = idents.first() {
                if !names.contains(first) {
                    names.push(first.clone());
                }
            }
        }
        Arg::Pipe(p) => collect_pipe(p, names),
        Arg::Chain { node, .. } => collect_arg(node, names),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(t: &str, data: Value) -> String {
        match Template::parse(t).and_then(|t| t.render(&data)) {
            Ok(s) => s,
            Err(e) => e.to_string(),
        }
    }

    fn data() -> Value {
        json!({
            "ID": "abc123",
            "Names": ["web", "db"],
            "Labels": {"com.example.a": "1", "b": "two"},
            "State": {"Running": true, "ExitCode": 0, "Pid": 4242},
            "Size": 1.5,
            "Count": 3,
            "Empty": "",
            "Null": null,
            "Mixed": {"k": [1, "x"], "n": null}
        })
    }

    #[test]
    fn fields_and_values() {
        assert_eq!(r("{{.ID}}", data()), "abc123");
        assert_eq!(r("{{.State.Pid}}", data()), "4242");
        assert_eq!(r("{{.Size}} {{.Count}}", data()), "1.5 3");
        assert_eq!(r("{{.Missing}}", data()), "<no value>");
        assert_eq!(r("{{.Null}}", data()), "<no value>");
        assert_eq!(r("{{.Missing.Deeper}}", data()), "<no value>");
        assert_eq!(r("{{.Names}}", data()), "[web db]");
        assert_eq!(r("{{.Mixed}}", data()), "map[k:[1 x] n:<nil>]");
        assert_eq!(r("{{.State.Running}}", data()), "true");
        assert_eq!(r("{{.}}", json!("plain")), "plain");
    }

    #[test]
    fn functions() {
        assert_eq!(r("{{json .Names}}", data()), "[\"web\",\"db\"]");
        assert_eq!(
            r("{{json .State}}", data()),
            "{\"ExitCode\":0,\"Pid\":4242,\"Running\":true}"
        );
        assert_eq!(r("{{json .Missing}}", data()), "null");
        assert_eq!(r("{{index .Labels \"com.example.a\"}}", data()), "1");
        assert_eq!(r("{{index .Labels \"nope\"}}", data()), "");
        assert_eq!(r("{{join .Names \", \"}}", data()), "web, db");
        assert_eq!(
            r(
                "{{upper .ID}} {{lower \"ABC\"}} {{title \"hello world\"}}",
                data()
            ),
            "ABC123 abc Hello World"
        );
        assert_eq!(r("{{printf \"%s:%d\" .ID .Count}}", data()), "abc123:3");
        assert_eq!(r("{{printf \"%v\" .Names}}", data()), "[web db]");
        assert_eq!(r("{{.ID | printf \"<%s>\"}}", data()), "<abc123>");
        assert_eq!(r("{{.Names | json}}", data()), "[\"web\",\"db\"]");
        assert_eq!(r("{{.ID | upper | printf \"%s!\"}}", data()), "ABC123!");
        assert_eq!(r("{{len .Names}}", data()), "2");
        assert_eq!(r("{{(index .Names 1)}}", data()), "db");
        assert_eq!(r("{{(index .Mixed.k 0)}}", data()), "1");
    }

    /// Found by fuzzing: `range` over a large integer built every index first (a huge
    /// allocation, then an abort); it now counts lazily, as Go does.
    #[test]
    fn range_over_a_large_integer_is_lazy() {
        assert_eq!(
            r(
                "{{range 9223372036854775807}}{{.}}{{break}}{{end}}x",
                data()
            ),
            "0x"
        );
        assert_eq!(r("{{range 3}}{{.}}{{end}}", data()), "012");
        assert_eq!(r("{{range 0}}x{{else}}none{{end}}", data()), "none");
    }

    #[test]
    fn control_flow() {
        assert_eq!(r("{{range .Names}}[{{.}}]{{end}}", data()), "[web][db]");
        assert_eq!(
            r("{{range $i, $n := .Names}}{{$i}}={{$n}} {{end}}", data()),
            "0=web 1=db "
        );
        assert_eq!(
            r("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", data()),
            "b=two;com.example.a=1;"
        );
        assert_eq!(r("{{range .Nope}}x{{else}}none{{end}}", data()), "none");
        assert_eq!(
            r("{{if .State.Running}}up{{else}}down{{end}}", data()),
            "up"
        );
        assert_eq!(
            r("{{if .Empty}}a{{else if .Count}}b{{else}}c{{end}}", data()),
            "b"
        );
        assert_eq!(r("{{with .State}}{{.Pid}}{{end}}", data()), "4242");
        assert_eq!(r("{{with .Empty}}x{{else}}y{{end}}", data()), "y");
        assert_eq!(r("{{if and .ID (not .Empty)}}ok{{end}}", data()), "ok");
        assert_eq!(r("{{if eq .State.ExitCode 0}}zero{{end}}", data()), "zero");
        assert_eq!(
            r(
                "{{range .Names}}{{if eq . \"db\"}}{{break}}{{end}}{{.}}{{end}}",
                data()
            ),
            "web"
        );
        assert_eq!(
            r(
                "{{range .Names}}{{if eq . \"web\"}}{{continue}}{{end}}{{.}}{{end}}",
                data()
            ),
            "db"
        );
        assert_eq!(
            r("{{$x := .ID}}{{range .Names}}{{$x}}-{{.}} {{end}}", data()),
            "abc123-web abc123-db "
        );
        assert_eq!(r("{{$.ID}}", data()), "abc123");
        assert_eq!(
            r("{{$s := .State}}{{$s.Pid}} {{$.State.Pid}}", data()),
            "4242 4242"
        );
        assert_eq!(
            r("{{html .ID}} {{js \"a'b\"}}", json!({"ID": "<&>"})),
            "&lt;&amp;&gt; a\\'b"
        );
        assert_eq!(r("{{range 3}}{{.}}{{end}}", data()), "012");
        assert_eq!(r("{{/* comment */}}x", data()), "x");
    }

    #[test]
    fn trim_and_escapes() {
        assert_eq!(r("a  {{- .ID -}}  b", data()), "aabc123b");
        assert_eq!(r("{{.ID}}\\t{{.Count}}\\n", data()), "abc123\t3\n");
        assert_eq!(unescape_format("a\\tb\\\\c\\n"), "a\tb\\\\c\n");
        assert_eq!(
            Template::parse_raw("\\t")
                .and_then(|t| t.render(&data()))
                .ok()
                .as_deref(),
            Some("\\t")
        );
    }

    #[test]
    fn execution_errors() {
        assert_eq!(
            r("{{.ID.Foo}}", data()),
            "template parsing error: template: :1:5: executing \"\" at <.ID.Foo>: can't evaluate field Foo in type string"
        );
        assert_eq!(
            r("x\n {{index .Names 5}}", data()),
            "template parsing error: template: :2:3: executing \"\" at <index .Names 5>: error calling index: index out of range: 5"
        );
        assert_eq!(
            r("{{.ID 1}}", data()),
            "template parsing error: template: :1:2: executing \"\" at <.ID>: ID is not a method but has arguments"
        );
        assert_eq!(
            r("{{lower .Names}}", data()),
            "template parsing error: template: :1:8: executing \"\" at <.Names>: wrong type for value; expected string; got []interface {}"
        );
        let strict = Template::parse_raw("{{.Nope}}").map(Template::with_missing_key_error);
        assert_eq!(
            strict.and_then(|t| t.render(&data())).map_err(|e| e.to_string()),
            Err("template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"".into())
        );
    }

    #[test]
    fn header_rendering_and_field_names() {
        let t = Template::parse("{{.ID}}\\t{{json .Names}}\\t{{upper .Labels}}").ok();
        let headers = json!({"ID": "CONTAINER ID", "Names": "NAMES", "Labels": "LABELS"});
        assert_eq!(
            t.as_ref().map(|t| t.render_header(&headers)).as_deref(),
            Some("CONTAINER ID\tNAMES\tLABELS")
        );
        assert_eq!(
            t.map(|t| t.field_names()),
            Some(vec!["ID".into(), "Names".into(), "Labels".into()])
        );
    }
}

//! Executes a parsed template against `serde_json::Value` data with Go's
//! `text/template` semantics (missing keys print `<no value>`, maps print as
//! `map[k:v]`, errors name the failing expression).

use crate::ast::{Arg, Command, ControlKind, List, Node, Pipe};
use crate::error::FormatError;
use crate::funcs::{call, FuncError};
use crate::gofmt::{go_sprint, go_type_name};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt::Display;

type EResult<T> = Result<T, FormatError>;

/// What a missing key or a field of nil evaluates to.
static NULL: Value = Value::Null;

/// Execution options.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    /// Fail on missing map keys (Go's `missingkey=error`, used by `docker inspect`).
    pub missing_key_error: bool,
    /// Use Docker's header functions (`json`, `lower`, ... return their argument).
    pub header_mode: bool,
}

enum Flow {
    Normal,
    Break,
    Continue,
}

/// Runs `list` with `data` as dot, appending output to `out`. On error the
/// output produced so far stays in `out` (Docker relies on this for headers).
pub(crate) fn execute(
    text: &str,
    list: &List,
    data: &Value,
    opts: Options,
    out: &mut String,
) -> EResult<()> {
    let mut st = State {
        text,
        vars: vec![("$".to_string(), Cow::Borrowed(data))],
        opts,
        out,
    };
    st.walk_list(data, list).map(|_| ())
}

struct State<'a> {
    text: &'a str,
    /// Variables in scope, innermost last; `$` borrows the data instead of copying it.
    vars: Vec<(String, Cow<'a, Value>)>,
    opts: Options,
    out: &'a mut String,
}

/// Go's truth test for `if`, `with`, `and`, `or`, `not`.
pub(crate) fn truth(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

impl State<'_> {
    fn error<T>(&self, pos: usize, context: &dyn Display, msg: impl Display) -> EResult<T> {
        let before = &self.text[..pos.min(self.text.len())];
        let line = 1 + before.matches('\n').count();
        let col = match before.rfind('\n') {
            Some(nl) => pos - nl - 1,
            None => pos,
        };
        Err(FormatError::exec(format!(
            "template: :{line}:{col}: executing \"\" at <{context}>: {msg}"
        )))
    }

    fn walk_list(&mut self, dot: &Value, list: &List) -> EResult<Flow> {
        for node in list {
            match self.walk(dot, node)? {
                Flow::Normal => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &Node) -> EResult<Flow> {
        match node {
            Node::Text(t) => self.out.push_str(t),
            Node::Action(pipe) => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    match v {
                        Value::Null => self.out.push_str("<no value>"),
                        other => self.out.push_str(&go_sprint(&other)),
                    }
                }
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
            Node::Control {
                kind,
                pipe,
                list,
                else_list,
            } => {
                let mark = self.vars.len();
                let flow = self.walk_control(dot, *kind, pipe, list, else_list.as_ref());
                self.vars.truncate(mark);
                return flow;
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_control(
        &mut self,
        dot: &Value,
        kind: ControlKind,
        pipe: &Pipe,
        list: &List,
        else_list: Option<&List>,
    ) -> EResult<Flow> {
        let val = self.eval_pipeline(dot, pipe)?;
        if kind == ControlKind::Range {
            return self.walk_range(dot, pipe, val, list, else_list);
        }
        if truth(&val) {
            let new_dot = if kind == ControlKind::With { &val } else { dot };
            self.walk_list(new_dot, list)
        } else if let Some(e) = else_list {
            self.walk_list(dot, e)
        } else {
            Ok(Flow::Normal)
        }
    }

    fn walk_range(
        &mut self,
        dot: &Value,
        pipe: &Pipe,
        val: Value,
        list: &List,
        else_list: Option<&List>,
    ) -> EResult<Flow> {
        // Lazily: `range N` over a large N must not build N values first (`{{range
        // 1e12}}{{break}}{{end}}` returns at once in Go).
        let items: Box<dyn Iterator<Item = (Value, Value)>> = match val {
            Value::Null => Box::new(std::iter::empty()),
            Value::Array(a) => {
                Box::new(a.into_iter().enumerate().map(|(i, v)| (Value::from(i), v)))
            }
            Value::Object(o) => {
                let mut kv: Vec<(String, Value)> = o.into_iter().collect();
                kv.sort_by(|a, b| a.0.cmp(&b.0));
                Box::new(kv.into_iter().map(|(k, v)| (Value::String(k), v)))
            }
            Value::Number(ref n) if n.as_i64().is_some() => {
                if pipe.decl.len() > 1 {
                    return self.error(
                        pipe.pos,
                        pipe,
                        format!("can't use {n} to iterate over more than one variable"),
                    );
                }
                let n = n.as_i64().unwrap_or(0).max(0);
                Box::new((0..n).map(|i| (Value::from(i), Value::from(i))))
            }
            other => {
                let shown = go_sprint(&other);
                return self.error(pipe.pos, pipe, format!("range can't iterate over {shown}"));
            }
        };
        let mut items = items.peekable();
        if items.peek().is_none() {
            return match else_list {
                Some(e) => self.walk_list(dot, e),
                None => Ok(Flow::Normal),
            };
        }
        let mark = self.vars.len();
        for (index, elem) in items {
            self.bind_range_vars(pipe, mark, index, &elem);
            let flow = self.walk_list(&elem, list)?;
            self.vars.truncate(mark);
            if let Flow::Break = flow {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    fn bind_range_vars(&mut self, pipe: &Pipe, mark: usize, index: Value, elem: &Value) {
        let n = pipe.decl.len();
        if n == 0 {
            return;
        }
        if pipe.is_assign {
            if n > 1 {
                self.set_var(&pipe.decl[0], index);
                self.set_var(&pipe.decl[1], elem.clone());
            } else {
                self.set_var(&pipe.decl[0], elem.clone());
            }
            return;
        }
        // eval_pipeline pushed the declared variables just below `mark`.
        self.vars[mark - 1].1 = Cow::Owned(elem.clone());
        if n > 1 {
            self.vars[mark - 2].1 = Cow::Owned(index);
        }
    }

    fn set_var(&mut self, name: &str, v: Value) {
        if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            slot.1 = Cow::Owned(v);
        }
    }

    fn var(&self, name: &str) -> &Value {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map_or(&NULL, |(_, v)| v.as_ref())
    }

    fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> EResult<Value> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let value = value.unwrap_or(Value::Null);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone());
            } else {
                self.vars.push((name.clone(), Cow::Owned(value.clone())));
            }
        }
        Ok(value)
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Command, fin: Option<Value>) -> EResult<Value> {
        let Some(first) = cmd.args.first() else {
            return Ok(Value::Null);
        };
        let has_args = cmd.args.len() > 1 || fin.is_some();
        match first {
            Arg::Ident { name, pos } => self.eval_function(dot, name, *pos, cmd, fin),
            Arg::Field { .. } | Arg::Variable { .. } | Arg::Chain { .. } => {
                if has_args {
                    let last = match first {
                        Arg::Field { idents, .. }
                        | Arg::Variable { idents, .. }
                        | Arg::Chain { fields: idents, .. } => idents.last().cloned(),
                        _ => None,
                    };
                    if let Some(field) = last {
                        let msg = format!("{field} is not a method but has arguments");
                        return self.error(first.pos(), first, msg);
                    }
                    return self.not_a_function(first);
                }
                self.eval_arg(dot, first)
            }
            Arg::Nil(pos) => self.error(*pos, first, "nil is not a command"),
            _ => {
                if has_args {
                    return self.not_a_function(first);
                }
                self.eval_arg(dot, first)
            }
        }
    }

    fn not_a_function<T>(&self, arg: &Arg) -> EResult<T> {
        self.error(
            arg.pos(),
            arg,
            format!("can't give argument to non-function {arg}"),
        )
    }

    fn eval_arg(&mut self, dot: &Value, arg: &Arg) -> EResult<Value> {
        match arg {
            Arg::Dot(_) => Ok(dot.clone()),
            Arg::Nil(_) => Ok(Value::Null),
            Arg::Bool(_, b) => Ok(Value::Bool(*b)),
            Arg::Number { value, .. } => Ok(value.clone()),
            Arg::Str { value, .. } => Ok(Value::String(value.clone())),
            Arg::Field { pos, idents } => self.field_chain(dot, idents, *pos, arg),
            Arg::Variable { pos, name, idents } => {
                self.field_chain(self.var(name), idents, *pos, arg)
            }
            Arg::Chain { pos, node, fields } => {
                let v = self.eval_arg(dot, node)?;
                self.field_chain(&v, fields, *pos, arg)
            }
            Arg::Pipe(p) => {
                let mark = self.vars.len();
                let v = self.eval_pipeline(dot, p);
                self.vars.truncate(mark);
                v
            }
            Arg::Ident { name, pos } => {
                let cmd = Command {
                    pos: *pos,
                    args: vec![arg.clone()],
                };
                self.eval_function(dot, name, *pos, &cmd, None)
            }
        }
    }

    /// Follows `.A.B.C` from `v` by reference and copies only the value it ends at.
    fn field_chain(&self, v: &Value, idents: &[String], pos: usize, node: &Arg) -> EResult<Value> {
        let mut v = v;
        for name in idents {
            v = match v {
                Value::Object(map) => match map.get(name) {
                    Some(x) => x,
                    None if self.opts.missing_key_error => {
                        let msg =
                            format!("map has no entry for key {}", crate::gofmt::go_quote(name));
                        return self.error(pos, node, msg);
                    }
                    None => &NULL,
                },
                Value::Null if self.opts.missing_key_error => {
                    let msg = format!(
                        "nil data; no entry for key {}",
                        crate::gofmt::go_quote(name)
                    );
                    return self.error(pos, node, msg);
                }
                Value::Null => &NULL,
                other => {
                    let msg = format!(
                        "can't evaluate field {name} in type {}",
                        go_type_name(other)
                    );
                    return self.error(pos, node, msg);
                }
            };
        }
        Ok(v.clone())
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        name: &str,
        pos: usize,
        cmd: &Command,
        fin: Option<Value>,
    ) -> EResult<Value> {
        let arg_nodes = &cmd.args[1..];
        let mut args = Vec::with_capacity(arg_nodes.len() + 1);
        if name == "and" || name == "or" {
            return self.eval_and_or(dot, name, pos, arg_nodes, fin);
        }
        for a in arg_nodes {
            args.push(self.eval_arg(dot, a)?);
        }
        if let Some(f) = fin {
            args.push(f);
        }
        match call(name, args, self.opts.header_mode) {
            Ok(v) => Ok(v),
            Err(FuncError::Arity(msg)) => self.error(pos, &name, msg),
            Err(FuncError::Call(msg)) => {
                self.error(cmd.pos, cmd, format!("error calling {name}: {msg}"))
            }
            Err(FuncError::Type(msg, i)) => match arg_nodes.get(i) {
                Some(node) => self.error(node.pos(), node, msg),
                None => self.error(cmd.pos, cmd, msg),
            },
        }
    }

    fn eval_and_or(
        &mut self,
        dot: &Value,
        name: &str,
        pos: usize,
        arg_nodes: &[Arg],
        fin: Option<Value>,
    ) -> EResult<Value> {
        let total = arg_nodes.len() + usize::from(fin.is_some());
        if total == 0 {
            return self.error(
                pos,
                &name,
                format!("wrong number of args for {name}: want at least 1 got 0"),
            );
        }
        let want = name == "or";
        let mut last = Value::Null;
        for a in arg_nodes {
            last = self.eval_arg(dot, a)?;
            if truth(&last) == want {
                return Ok(last);
            }
        }
        if let Some(f) = fin {
            last = f;
        }
        Ok(last)
    }
}

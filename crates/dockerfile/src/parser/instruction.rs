//! One instruction line -> [`Instruction`]: keyword, flags and the per-instruction argument
//! rules of BuildKit's `line_parsers.go` (the `Next` chain, flattened into `args`).

use super::error::ArgError;
use super::flags::extract_builder_flags;
use super::json::{parse_string_array, JsonError};
use super::words::{parse_words, split_ws};
use super::Instruction;

/// How deeply `ONBUILD` may nest before the line is rejected (BuildKit recurses without limit,
/// but its instruction layer rejects `ONBUILD ONBUILD` anyway).
const MAX_ONBUILD_DEPTH: usize = 8;

/// BuildKit's `errDockerfileNotStringArray` message.
const NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

/// The argument list and exec-form flag an argument parser produces.
type Parsed = (Vec<String>, bool);

/// BuildKit's `newNodeFromLine`: parses one assembled instruction line (lines and spans are
/// filled in by the caller).
pub(crate) fn instruction_from_line(
    line: &str,
    escape: char,
    depth: usize,
) -> Result<Instruction, ArgError> {
    let trimmed = line.trim();
    let parts = split_ws(trimmed, 2);
    let word = parts.first().copied().unwrap_or("");
    let (rest, flags) = match parts.get(1) {
        Some(after) => {
            let (rest, flags) = extract_builder_flags(after);
            (rest.trim(), flags)
        }
        None => ("", Vec::new()),
    };
    let keyword = word.to_lowercase();
    let mut inst = Instruction {
        keyword,
        original: line.to_string(),
        flags,
        ..Instruction::default()
    };
    let (args, json) = match inst.keyword.as_str() {
        "add" | "copy" | "volume" => maybe_json_to_list(rest)?,
        "arg" => (parse_words(rest, escape), false),
        "cmd" | "entrypoint" | "run" | "shell" => maybe_json(rest)?,
        "env" => name_val(rest, "ENV", escape)?,
        "label" => name_val(rest, "LABEL", escape)?,
        "expose" | "from" => (whitespace_delimited(rest), false),
        "healthcheck" => health_config(rest)?,
        "maintainer" | "stopsignal" | "user" | "workdir" => (string(rest), false),
        "onbuild" => {
            if !rest.is_empty() {
                if depth >= MAX_ONBUILD_DEPTH {
                    return Err(ArgError("ONBUILD nested too deeply".into()));
                }
                inst.trigger = Some(Box::new(instruction_from_line(rest, escape, depth + 1)?));
            }
            (Vec::new(), false)
        }
        _ => (vec![String::new()], false),
    };
    inst.args = args;
    inst.json = json;
    Ok(inst)
}

/// `parseString`: the whole rest as one argument.
fn string(rest: &str) -> Vec<String> {
    if rest.is_empty() {
        Vec::new()
    } else {
        vec![rest.to_string()]
    }
}

/// `parseStringsWhitespaceDelimited`: split on `[\t\v\f\r ]+`, quotes not honoured.
fn whitespace_delimited(rest: &str) -> Vec<String> {
    if rest.is_empty() {
        return Vec::new();
    }
    split_ws(rest, 0).into_iter().map(str::to_string).collect()
}

/// `parseJSON`, with BuildKit's distinction between "not JSON" and "JSON but not strings".
fn json(rest: &str) -> Result<Option<Vec<String>>, ArgError> {
    match parse_string_array(rest) {
        Ok(v) => Ok(Some(v)),
        Err(JsonError::Syntax) => Ok(None),
        Err(JsonError::NotStrings) => Err(ArgError(NOT_STRING_ARRAY.into())),
    }
}

/// `parseMaybeJSON`: exec form if a JSON string array, else the whole rest as one argument.
fn maybe_json(rest: &str) -> Result<Parsed, ArgError> {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    Ok(match json(rest)? {
        Some(v) => (v, true),
        None => (vec![rest.to_string()], false),
    })
}

/// `parseMaybeJSONToList`: exec form if a JSON string array, else whitespace-split words.
fn maybe_json_to_list(rest: &str) -> Result<Parsed, ArgError> {
    Ok(match json(rest)? {
        Some(v) => (v, true),
        None => (whitespace_delimited(rest), false),
    })
}

/// `parseNameVal` (ENV, LABEL): `key=value` pairs, or the legacy `KEY value` form, as
/// triples `key, value, separator` (`"="` or `""`).
fn name_val(rest: &str, key: &str, escape: char) -> Result<Parsed, ArgError> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Ok((Vec::new(), false));
    };
    if !first.contains('=') {
        let parts = split_ws(rest, 2);
        return match parts.as_slice() {
            [k, v] => Ok((vec![k.to_string(), v.to_string(), String::new()], false)),
            _ => Err(ArgError(format!("{key} must have two arguments"))),
        };
    }
    let mut out = Vec::with_capacity(words.len() * 3);
    for word in &words {
        let Some((k, v)) = word.split_once('=') else {
            return Err(ArgError(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                super::dump::go_quote(word)
            )));
        };
        out.extend([k.to_string(), v.to_string(), "=".to_string()]);
    }
    Ok((out, false))
}

/// `parseHealthConfig`: the first word is the type (kept verbatim); the remainder is parsed
/// like CMD.
fn health_config(rest: &str) -> Result<Parsed, ArgError> {
    let sep = rest.find(char::is_whitespace).unwrap_or(rest.len());
    if sep == 0 {
        return Ok((Vec::new(), false));
    }
    let (typ, cmd) = rest.split_at(sep);
    let (cmd_args, json) = maybe_json(cmd.trim_start())?;
    let mut args = vec![typ.to_string()];
    args.extend(cmd_args);
    Ok((args, json))
}

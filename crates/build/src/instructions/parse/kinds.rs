//! The instructions whose arguments need more than a count check: FROM, ARG, VOLUME,
//! SHELL, HEALTHCHECK, ONBUILD, and the error for an unknown one.

use berth_dockerfile::parser::Instruction;

use super::super::flags::suggest;
use super::super::{healthcheck, CommandKind};
use super::{at_least_one, flags, valid_stage_name, FROM_FLAGS, HEALTHCHECK_FLAGS, INSTRUCTIONS};

/// `FROM [--platform=...] image [AS name]`; the stage name is lower-cased.
pub(super) fn from(inst: &Instruction) -> Result<CommandKind, String> {
    let f = flags(inst, FROM_FLAGS)?;
    let name = match inst.args.as_slice() {
        [_] => None,
        [_, as_kw, n] if as_kw.eq_ignore_ascii_case("as") => {
            let lower = n.to_lowercase();
            if !valid_stage_name(&lower) {
                return Err(format!(
                    "invalid name for build stage: {}, name can't start with a number or contain symbols",
                    berth_dockerfile::parser::go_quote(n)
                ));
            }
            Some(lower)
        }
        _ => return Err("FROM requires either one or three arguments".into()),
    };
    Ok(CommandKind::From {
        image: inst.args[0].clone(),
        name,
        platform: f.string("platform"),
    })
}

/// `ARG name[=default] ...` (BuildKit never validates ARG's flags).
pub(super) fn arg(inst: &Instruction) -> Result<CommandKind, String> {
    at_least_one(inst, "ARG")?;
    Ok(CommandKind::Arg(
        inst.args
            .iter()
            .map(|a| match a.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (a.clone(), None),
            })
            .collect(),
    ))
}

/// `VOLUME path ...`, each trimmed and non-empty.
pub(super) fn volume(inst: &Instruction) -> Result<CommandKind, String> {
    at_least_one(inst, "VOLUME")?;
    let mut v = Vec::new();
    for a in &inst.args {
        let t = a.trim();
        if t.is_empty() {
            return Err("VOLUME specified can not be an empty string".into());
        }
        v.push(t.to_string());
    }
    Ok(CommandKind::Volume(v))
}

/// `SHELL ["exe", "arg", ...]`: JSON form only.
pub(super) fn shell(inst: &Instruction) -> Result<CommandKind, String> {
    if !inst.json {
        return Err("SHELL requires the arguments to be in JSON form".into());
    }
    at_least_one(inst, "SHELL")?;
    Ok(CommandKind::Shell(inst.args.clone()))
}

/// `HEALTHCHECK NONE` or `HEALTHCHECK [flags] CMD ...`.
pub(super) fn healthcheck(inst: &Instruction) -> Result<CommandKind, String> {
    at_least_one(inst, "HEALTHCHECK")?;
    let typ = inst.args[0].to_uppercase();
    if typ == "NONE" {
        if inst.args.len() > 1 {
            return Err("HEALTHCHECK NONE takes no arguments".into());
        }
        return Ok(CommandKind::Healthcheck(None));
    }
    let f = flags(inst, HEALTHCHECK_FLAGS)?;
    Ok(CommandKind::Healthcheck(Some(healthcheck::build(
        &f,
        &typ,
        &inst.args[1..],
        inst.json,
    )?)))
}

/// `ONBUILD <instruction>`: the trigger's text (with its heredocs), kept for the images
/// built from this one; ONBUILD, MAINTAINER and FROM are not allowed as triggers.
pub(super) fn onbuild(inst: &Instruction) -> Result<CommandKind, String> {
    let Some(trigger) = &inst.trigger else {
        return Err("ONBUILD requires at least one argument".into());
    };
    match trigger.keyword.as_str() {
        "onbuild" => return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into()),
        "maintainer" | "from" => {
            return Err(format!(
                "{} isn't allowed as an ONBUILD trigger",
                trigger.keyword.to_uppercase()
            ))
        }
        _ => {}
    }
    let orig = inst.original.trim_start();
    let after = orig.get(7..).unwrap_or("");
    let mut text = if orig.len() >= 7 && orig[..7].eq_ignore_ascii_case("onbuild") {
        after.trim_start().to_string()
    } else {
        orig.to_string()
    };
    for h in &inst.heredocs {
        text.push('\n');
        text.push_str(&h.content);
        text.push_str(&h.name);
    }
    Ok(CommandKind::Onbuild(text))
}

/// "unknown instruction: X", with a suggestion when one is close.
pub(super) fn unknown_instruction(inst: &Instruction) -> String {
    let kw = inst.keyword.as_str();
    let word = inst
        .original
        .split_whitespace()
        .next()
        .unwrap_or(kw)
        .to_string();
    let mut msg = format!("unknown instruction: {word}");
    if let Some(s) = suggest(kw, INSTRUCTIONS) {
        msg.push_str(&format!(" (did you mean {s}?)"));
    }
    msg
}

//! The plan of a build: global ARGs, stages with their typed commands, the target, and
//! which stages the target needs (the rest are skipped).

use std::collections::BTreeSet;

use berth_dockerfile::parser::Dockerfile;

use crate::error::{BuildError, Result};
use crate::instructions::{parse_command, Command, CommandKind};

/// One stage: a FROM and what follows it.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Position in the file, from 0.
    pub index: usize,
    /// `AS name`, lower-cased (stage names are case-insensitive).
    pub name: Option<String>,
    /// The FROM command.
    pub from: Command,
    /// Everything after FROM, in order.
    pub commands: Vec<Command>,
}

impl Stage {
    /// The name BuildKit shows in progress lines: the stage name or `stage-N`.
    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("stage-{}", self.index))
    }
}

/// A parsed, typed Dockerfile.
#[derive(Debug, Clone)]
pub struct Plan {
    /// ARGs before the first FROM (the global scope).
    pub meta_args: Vec<Command>,
    /// Stages in file order.
    pub stages: Vec<Stage>,
    /// The escape character of the file.
    pub escape: char,
}

/// Types every instruction and splits the file into stages. `file` names the Dockerfile
/// in errors.
pub fn plan(df: &Dockerfile, file: &str) -> Result<Plan> {
    let mut meta_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for inst in &df.instructions {
        let cmd = parse_command(inst).map_err(|e| at(file, &e.location, e.message()))?;
        match &cmd.kind {
            CommandKind::From { name, .. } => {
                let name = name.as_ref().map(|n| n.to_ascii_lowercase());
                if let Some(n) = &name {
                    if stages.iter().any(|s| s.name.as_deref() == Some(n)) {
                        return Err(at(
                            file,
                            &cmd.location,
                            format!("duplicate stage name \"{n}\""),
                        ));
                    }
                }
                stages.push(Stage {
                    index: stages.len(),
                    name,
                    from: cmd,
                    commands: Vec::new(),
                });
            }
            _ => match stages.last_mut() {
                Some(s) => s.commands.push(cmd),
                None if matches!(cmd.kind, CommandKind::Arg(_)) => meta_args.push(cmd),
                None => {
                    return Err(at(
                        file,
                        &cmd.location,
                        "no build stage in current context".into(),
                    ))
                }
            },
        }
    }
    if stages.is_empty() {
        return Err(BuildError::Invalid(format!(
            "{file}: dockerfile contains no stages to build"
        )));
    }
    Ok(Plan {
        meta_args,
        stages,
        escape: df.directives.escape,
    })
}

impl Plan {
    /// The stage `--target` names (case-insensitive), or the last one.
    pub fn target_index(&self, target: Option<&str>) -> Result<usize> {
        match target {
            None => Ok(self.stages.len() - 1),
            Some(t) => self.stage_index(t, self.stages.len()).ok_or_else(|| {
                BuildError::Invalid(format!("failed to reach build target {t} in Dockerfile"))
            }),
        }
    }

    /// The stage a `FROM`/`--from` word names among the first `before` stages: its name
    /// (case-insensitive) or, for `--from`, its number.
    pub fn stage_index(&self, word: &str, before: usize) -> Option<usize> {
        let lower = word.to_ascii_lowercase();
        if let Some(i) = self.stages[..before]
            .iter()
            .position(|s| s.name.as_deref() == Some(lower.as_str()))
        {
            return Some(i);
        }
        word.parse::<usize>().ok().filter(|&i| i < before)
    }

    /// The stages `target` needs, itself included, given a function naming each stage's
    /// direct dependencies.
    pub fn needed(&self, target: usize, deps: impl Fn(usize) -> Vec<usize>) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![target];
        while let Some(i) = todo.pop() {
            if seen.insert(i) {
                todo.extend(deps(i));
            }
        }
        seen
    }
}

/// An engine-side error at an instruction's location.
pub(crate) fn runner_at(
    file: &str,
    loc: &crate::instructions::Location,
    source: crate::runner::RunnerError,
) -> BuildError {
    BuildError::RunnerAt {
        file: file.to_string(),
        line: loc.line,
        original: loc.original.clone(),
        source,
    }
}

/// An error at an instruction's location.
pub(crate) fn at(file: &str, loc: &crate::instructions::Location, message: String) -> BuildError {
    BuildError::At {
        file: file.to_string(),
        line: loc.line,
        original: loc.original.clone(),
        message,
    }
}

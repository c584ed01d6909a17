//! `ps`: the processes of a container, as pids (JSON) or as `ps` output filtered to them.

use std::process::Command;

use super::Globals;
use crate::cgroups::CgroupManager;
use crate::error::{Error, IoContext, Result};
use crate::state;

/// The pids in container `id`'s cgroup.
pub fn pids(g: &Globals, id: &str) -> Result<Vec<i32>> {
    let st = state::load(&g.root, id)?;
    CgroupManager::from_paths(st.cgroup).pids()
}

/// `ps` output (with `ps_args`, default `-ef`) restricted to the container's processes.
pub fn table(g: &Globals, id: &str, ps_args: &[String]) -> Result<String> {
    let pids = pids(g, id)?;
    let args: Vec<String> = if ps_args.is_empty() {
        vec!["-ef".into()]
    } else {
        ps_args.to_vec()
    };
    let out = Command::new("ps")
        .args(&args)
        .output()
        .ctx(|| "run ps".into())?;
    if !out.status.success() {
        return Err(Error::Usage(format!(
            "ps {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let col = header
        .split_whitespace()
        .position(|h| h == "PID")
        .ok_or_else(|| Error::Usage("ps output has no PID column".into()))?;
    let mut result = format!("{header}\n");
    for line in lines {
        let pid = line
            .split_whitespace()
            .nth(col)
            .and_then(|p| p.parse::<i32>().ok());
        if pid.is_some_and(|p| pids.contains(&p)) {
            result.push_str(line);
            result.push('\n');
        }
    }
    Ok(result)
}

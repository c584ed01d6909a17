//! Running `nft`: applying a ruleset, deleting and probing berth's table.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::model::check_table;
use super::{render, FirewallError, Ruleset};

/// Where `nft` is: the first of `$PATH`, `/usr/sbin`, `/sbin` holding it.
pub fn nft_path() -> Result<PathBuf, FirewallError> {
    find_program("nft").ok_or(FirewallError::NftMissing)
}

/// Where program `name` is: the first of `$PATH`, `/usr/sbin`, `/sbin` holding it.
pub(super) fn find_program(name: &str) -> Option<PathBuf> {
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path_var)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Whether `path` is an executable regular file.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Makes berth's table match `r`: with networks, validates and renders `r` and applies the
/// script with `nft -f -` (one atomic transaction replacing only table `inet <r.table>`);
/// without networks, deletes the table if it exists.
///
/// `nft` runs in the calling thread's network namespace.
pub fn apply(r: &Ruleset) -> Result<(), FirewallError> {
    if r.networks.is_empty() {
        check_table(&r.table)?;
        if table_exists(&r.table)? {
            delete_table(&r.table)?;
        }
        return Ok(());
    }
    r.validate()?;
    run_script(&render(r), &format!("apply table inet {}", r.table))
}

/// Deletes table `inet <name>` if it exists (atomically: `table inet N {}` then
/// `delete table inet N` in one transaction), leaving every other table alone.
pub fn delete_table(name: &str) -> Result<(), FirewallError> {
    check_table(name)?;
    let script = format!("table inet {name} {{}}\ndelete table inet {name}\n");
    run_script(&script, &format!("delete table inet {name}"))
}

/// Whether table `inet <name>` exists, from `nft list tables inet`.
pub fn table_exists(name: &str) -> Result<bool, FirewallError> {
    check_table(name)?;
    let out = run(&["list", "tables", "inet"], None, "list tables")?;
    let want = format!("table inet {name}");
    Ok(out.lines().any(|line| line.trim() == want))
}

/// Pipes `script` to `nft -f -`.
pub(super) fn run_script(script: &str, action: &str) -> Result<(), FirewallError> {
    run(&["-f", "-"], Some(script), action).map(drop)
}

/// Runs `nft args`, feeding `stdin`; returns stdout, or the failure with nft's stderr.
pub(super) fn run(
    args: &[&str],
    stdin: Option<&str>,
    action: &str,
) -> Result<String, FirewallError> {
    let nft = nft_path()?;
    let spawn_err = |source| FirewallError::Spawn {
        nft: nft.clone(),
        action: action.to_string(),
        source,
    };
    let mut child = Command::new(&nft)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_err)?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).map_err(spawn_err)?;
    }
    let out = child.wait_with_output().map_err(spawn_err)?;
    if !out.status.success() {
        return Err(FirewallError::Nft {
            action: action.to_string(),
            status: out.status,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

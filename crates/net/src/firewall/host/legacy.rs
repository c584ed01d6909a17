//! berth's accept rules in iptables-legacy's `filter` table (invisible to nft): listed with
//! `iptables-legacy -S`, changed with one `iptables-legacy-restore --noflush` (the kernel
//! swaps the table whole, so the changes land together).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::plan::{self, Accept, Dir, Found, Listing, Plan, DOCKER_USER, FORWARD, TAG};
use crate::firewall::nft::find_program;
use crate::firewall::FirewallError;

/// The iptables-legacy programs.
#[derive(Debug, Clone)]
pub(super) struct Tools {
    /// `iptables-legacy` (or a legacy `iptables`).
    pub iptables: PathBuf,
    /// `iptables-legacy-restore` (or a legacy `iptables-restore`).
    pub restore: PathBuf,
}

/// The iptables-legacy programs, if installed: `iptables-legacy` and its restore (Debian,
/// Fedora, Alpine), else `iptables` if it is not the nf_tables one (older systems).
pub(super) fn tools() -> Option<Tools> {
    if let (Some(iptables), Some(restore)) = (
        find_program("iptables-legacy"),
        find_program("iptables-legacy-restore"),
    ) {
        return Some(Tools { iptables, restore });
    }
    let iptables = find_program("iptables")?;
    let restore = find_program("iptables-restore")?;
    let out = Command::new(&iptables)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let version = String::from_utf8_lossy(&out.stdout);
    (out.status.success() && !version.contains("nf_tables")).then_some(Tools { iptables, restore })
}

/// Brings berth's rules in the legacy `filter` table in step with `bridges`; returns the
/// plan it applied.
pub(super) fn sync(tools: &Tools, bridges: &[&str]) -> Result<Plan<String>, FirewallError> {
    let mut tries = 0;
    loop {
        let listing = parse(&list(tools)?);
        let p = plan::plan(listing, bridges);
        if p.is_empty() {
            return Ok(p);
        }
        // A rule deleted by someone else in between fails the whole restore: list again
        // once.
        match restore(tools, &restore_input(&p)) {
            Ok(()) => return Ok(p),
            Err(_) if tries == 0 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

/// `iptables-legacy -w -t filter -S`.
fn list(tools: &Tools) -> Result<String, FirewallError> {
    let action = "list the filter table";
    let out = Command::new(&tools.iptables)
        .args(["-w", "-t", "filter", "-S"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| program_error(&tools.iptables, action, e.to_string()))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(program_error(&tools.iptables, action, stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Feeds `input` to `iptables-legacy-restore -w --noflush`.
fn restore(tools: &Tools, input: &str) -> Result<(), FirewallError> {
    let action = "update berth's rules in the filter table";
    let err = |detail: String| program_error(&tools.restore, action, detail);
    let mut child = Command::new(&tools.restore)
        .args(["-w", "--noflush"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(e.to_string()))?;
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(input.as_bytes())
            .map_err(|e| err(e.to_string()))?;
    }
    let out = child.wait_with_output().map_err(|e| err(e.to_string()))?;
    if !out.status.success() {
        return Err(err(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    Ok(())
}

fn program_error(program: &std::path::Path, action: &str, detail: String) -> FirewallError {
    FirewallError::Program {
        program: program.to_path_buf(),
        action: action.to_string(),
        detail,
    }
}

/// The rule spec of `r` after `-A <chain>` / `-I <chain> 1`, as `iptables -S` prints it.
pub(super) fn rule_spec(r: &Accept) -> String {
    let flag = match r.dir {
        Dir::In => "-i",
        Dir::Out => "-o",
    };
    format!("{flag} {} -m comment --comment {TAG} -j ACCEPT", r.bridge)
}

/// The `iptables-restore --noflush` input of `p`: `-D` of each rule to delete (its spec as
/// listed), then `-I <chain> 1` of each rule to insert.
pub(super) fn restore_input(p: &Plan<String>) -> String {
    let mut s = String::from("*filter\n");
    for spec in &p.delete {
        s.push_str(&format!("-D {spec}\n"));
    }
    for r in &p.insert {
        s.push_str(&format!("-I {} 1 {}\n", r.chain, rule_spec(r)));
    }
    s.push_str("COMMIT\n");
    s
}

/// Reads `iptables -S` of the filter table: the FORWARD policy, whether `DOCKER-USER`
/// exists, and every rule of `FORWARD` or `DOCKER-USER` commented [`TAG`], its id being its
/// spec after `-A` (what `-D` takes).
pub(super) fn parse(listing: &str) -> Listing<String> {
    let mut out = Listing {
        forward_drops: false,
        docker_user: false,
        found: Vec::new(),
    };
    for line in listing.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["-P", FORWARD, policy] => out.forward_drops = *policy == "DROP",
            ["-N", DOCKER_USER] => out.docker_user = true,
            ["-A", chain @ (FORWARD | DOCKER_USER), rest @ ..]
                if rest.windows(2).any(|w| w == ["--comment", TAG]) =>
            {
                let Some(spec) = line.trim().strip_prefix("-A ") else {
                    continue;
                };
                out.found.push(Found {
                    id: spec.to_string(),
                    rule: accept_of(chain, rest),
                });
            }
            _ => {}
        }
    }
    out
}

/// The rule words after `-A <chain>` as an [`Accept`], if they are exactly what
/// [`rule_spec`] writes.
fn accept_of(chain: &str, words: &[&str]) -> Option<Accept> {
    let [flag, bridge, "-m", "comment", "--comment", TAG, "-j", "ACCEPT"] = words else {
        return None;
    };
    let dir = match *flag {
        "-i" => Dir::In,
        "-o" => Dir::Out,
        _ => return None,
    };
    Some(Accept {
        chain: chain.to_string(),
        dir,
        bridge: bridge.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::host::plan::tests::accept;

    const DOCKER: &str = "\
-P INPUT ACCEPT
-P FORWARD DROP
-P OUTPUT ACCEPT
-N DOCKER
-N DOCKER-ISOLATION-STAGE-1
-N DOCKER-USER
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i br-old -m comment --comment berth -j ACCEPT
-A DOCKER-USER -i berth0 -m comment --comment berth -j ACCEPT
-A DOCKER-USER -o berth0 -m comment --comment berth -j ACCEPT
-A DOCKER-USER -i eth9 -m comment --comment \"berth stuff\" -j DROP
-A DOCKER-USER -i eth8 -m comment --comment berth -j DROP
-A DOCKER-USER -j RETURN
";

    #[test]
    fn parses_docker_listing() {
        let l = parse(DOCKER);
        assert!(l.forward_drops && l.docker_user);
        let ids: Vec<&str> = l.found.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "FORWARD -i br-old -m comment --comment berth -j ACCEPT",
                "DOCKER-USER -i berth0 -m comment --comment berth -j ACCEPT",
                "DOCKER-USER -o berth0 -m comment --comment berth -j ACCEPT",
                "DOCKER-USER -i eth8 -m comment --comment berth -j DROP",
            ]
        );
        assert_eq!(l.found[0].rule, Some(accept(FORWARD, Dir::In, "br-old")));
        assert_eq!(
            l.found[2].rule,
            Some(accept(DOCKER_USER, Dir::Out, "berth0"))
        );
        // Tagged, but not a shape berth writes.
        assert_eq!(l.found[3].rule, None);
    }

    #[test]
    fn accept_policy_and_no_docker_user() {
        let l = parse("-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");
        assert!(!l.forward_drops && !l.docker_user && l.found.is_empty());
    }

    #[test]
    fn restore_input_round_trips() {
        let p = plan::plan(parse(DOCKER), &["berth0", "br-1"]);
        let input = restore_input(&p);
        assert_eq!(
            input,
            "*filter\n\
             -D FORWARD -i br-old -m comment --comment berth -j ACCEPT\n\
             -D DOCKER-USER -i eth8 -m comment --comment berth -j DROP\n\
             -I DOCKER-USER 1 -o br-1 -m comment --comment berth -j ACCEPT\n\
             -I DOCKER-USER 1 -i br-1 -m comment --comment berth -j ACCEPT\n\
             COMMIT\n"
        );
        // What berth writes, it reads back as its own.
        let r = accept(DOCKER_USER, Dir::In, "br-1");
        let line = format!("-A DOCKER-USER {}", rule_spec(&r));
        assert_eq!(parse(&line).found[0].rule, Some(r));
    }
}

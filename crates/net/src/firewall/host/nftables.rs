//! berth's accept rules in iptables-nft's `filter` table (nftables table `ip filter`),
//! listed with `nft -j` and changed with one `nft -f` transaction.
//!
//! The rules are written as iptables-nft itself would write `-i br -m comment --comment
//! berth -j ACCEPT`: a `meta iifname` match, a counter, an accept verdict and the comment
//! as rule user data, so `iptables` (and Docker through it) reads them as its own
//! (`-A DOCKER-USER -i berth0 -m comment --comment berth -j ACCEPT`).

use serde_json::Value;

use super::plan::{self, Accept, Dir, Found, Listing, Plan, DOCKER_USER, FORWARD, TAG};
use crate::firewall::nft::{run, run_script};
use crate::firewall::FirewallError;

/// Lists `ip filter`; `None` when the table does not exist.
pub(super) fn list() -> Result<Option<Listing<RuleId>>, FirewallError> {
    match run(
        &["-j", "list", "table", "ip", "filter"],
        None,
        "list table ip filter",
    ) {
        Ok(out) => parse(&out)
            .map(Some)
            .map_err(|reason| FirewallError::Unreadable {
                what: "nft -j list table ip filter".into(),
                reason,
            }),
        Err(FirewallError::Nft { stderr, .. }) if stderr.contains("No such file or directory") => {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Brings berth's rules in `ip filter` in step with `bridges`; returns the plan it applied.
pub(super) fn sync(bridges: &[&str]) -> Result<Plan<RuleId>, FirewallError> {
    // A rule deleted by someone else between listing and applying fails the transaction
    // (nothing applied): list again once.
    let mut tries = 0;
    loop {
        let Some(listing) = list()? else {
            return Ok(Plan {
                delete: vec![],
                insert: vec![],
            });
        };
        let p = plan::plan(listing, bridges);
        if p.is_empty() {
            return Ok(p);
        }
        match run_script(&script(&p), "update berth's rules in table ip filter") {
            Ok(()) => return Ok(p),
            Err(FirewallError::Nft { .. }) if tries == 0 => tries += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Where a rule of berth's is: its chain and handle (`delete rule` wants both).
pub(super) type RuleId = (String, u64);

/// The `nft -f` script of `p`: deletions by handle, then each insert at the top of its
/// chain, applied as one transaction.
pub(super) fn script(p: &Plan<RuleId>) -> String {
    let mut s = String::from("# berth: its accept rules in table ip filter\n");
    for (chain, handle) in &p.delete {
        s.push_str(&format!("delete rule ip filter {chain} handle {handle}\n"));
    }
    for r in &p.insert {
        s.push_str(&format!(
            "insert rule ip filter {} {}\n",
            r.chain,
            rule_text(r)
        ));
    }
    s
}

/// The nft statement of rule `r` (without the `insert rule ip filter <chain>` in front).
pub(super) fn rule_text(r: &Accept) -> String {
    let key = match r.dir {
        Dir::In => "iifname",
        Dir::Out => "oifname",
    };
    format!("{key} \"{}\" counter accept comment \"{TAG}\"", r.bridge)
}

/// Reads `nft -j list table ip filter`: the forward chain's policy, whether `DOCKER-USER`
/// exists, and every rule commented [`TAG`] with its handle.
pub(super) fn parse(json: &str) -> Result<Listing<RuleId>, String> {
    let doc: Value = serde_json::from_str(json).map_err(|e| format!("bad JSON: {e}"))?;
    let items = doc
        .get("nftables")
        .and_then(Value::as_array)
        .ok_or("no \"nftables\" array")?;
    let mut listing = Listing {
        forward_drops: false,
        docker_user: false,
        found: Vec::new(),
    };
    for item in items {
        if let Some(chain) = item.get("chain") {
            let name = chain.get("name").and_then(Value::as_str);
            if name == Some(FORWARD) && chain.get("hook").and_then(Value::as_str) == Some("forward")
            {
                listing.forward_drops = chain.get("policy").and_then(Value::as_str) == Some("drop");
            }
            if name == Some(DOCKER_USER) {
                listing.docker_user = true;
            }
        }
        let Some(rule) = item.get("rule") else {
            continue;
        };
        if rule.get("comment").and_then(Value::as_str) != Some(TAG) {
            continue;
        }
        // berth only ever adds to these two chains (and their names are safe to put
        // back into a script).
        let (Some(chain @ (FORWARD | DOCKER_USER)), Some(handle)) = (
            rule.get("chain").and_then(Value::as_str),
            rule.get("handle").and_then(Value::as_u64),
        ) else {
            continue;
        };
        listing.found.push(Found {
            id: (chain.to_string(), handle),
            rule: accept_of(chain, rule.get("expr")),
        });
    }
    Ok(listing)
}

/// The rule `expr` as an [`Accept`] in `chain`, if it is `iifname|oifname == "<bridge>"`,
/// an optional counter and `accept`, and nothing else.
fn accept_of(chain: &str, expr: Option<&Value>) -> Option<Accept> {
    let exprs: Vec<&Value> = expr?
        .as_array()?
        .iter()
        .filter(|e| e.get("counter").is_none())
        .collect();
    let [matched, verdict] = exprs.as_slice() else {
        return None;
    };
    verdict.get("accept")?;
    let m = matched.get("match")?;
    if m.get("op").and_then(Value::as_str) != Some("==") {
        return None;
    }
    let dir = match m.pointer("/left/meta/key").and_then(Value::as_str)? {
        "iifname" => Dir::In,
        "oifname" => Dir::Out,
        _ => return None,
    };
    let bridge = m.get("right").and_then(Value::as_str)?;
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

    /// `nft -j list table ip filter` with Docker's chains (made by iptables-nft), two rules
    /// of berth's, one of someone else with an iptables comment match, and one of berth's
    /// in a chain berth never uses.
    const DOCKER: &str = r#"{"nftables": [
        {"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
        {"table": {"family": "ip", "name": "filter", "handle": 1}},
        {"chain": {"family": "ip", "table": "filter", "name": "DOCKER-USER", "handle": 1}},
        {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "handle": 2,
                   "type": "filter", "hook": "forward", "prio": 0, "policy": "drop"}},
        {"chain": {"family": "ip", "table": "filter", "name": "OTHER", "handle": 9}},
        {"rule": {"family": "ip", "table": "filter", "chain": "DOCKER-USER", "handle": 7,
                  "comment": "berth", "expr": [
            {"match": {"op": "==", "left": {"meta": {"key": "oifname"}}, "right": "berth0"}},
            {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}},
        {"rule": {"family": "ip", "table": "filter", "chain": "DOCKER-USER", "handle": 6,
                  "comment": "berth", "expr": [
            {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "br-gone"}},
            {"accept": null}]}},
        {"rule": {"family": "ip", "table": "filter", "chain": "DOCKER-USER", "handle": 5,
                  "expr": [
            {"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "foo"}},
            {"xt": {"type": "match", "name": "comment"}},
            {"counter": {"packets": 0, "bytes": 0}}, {"accept": null}]}},
        {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 8,
                  "comment": "berth", "expr": [
            {"match": {"op": "!=", "left": {"meta": {"key": "iifname"}}, "right": "berth0"}},
            {"accept": null}]}},
        {"rule": {"family": "ip", "table": "filter", "chain": "OTHER", "handle": 10,
                  "comment": "berth", "expr": [{"accept": null}]}},
        {"rule": {"family": "ip", "table": "filter", "chain": "FORWARD", "handle": 3,
                  "expr": [{"counter": {"packets": 0, "bytes": 0}},
                           {"jump": {"target": "DOCKER-USER"}}]}}
    ]}"#;

    #[test]
    fn parses_docker_table() {
        let l = parse(DOCKER).unwrap();
        assert!(l.forward_drops && l.docker_user);
        assert_eq!(
            l.found,
            [
                Found {
                    id: ("DOCKER-USER".into(), 7),
                    rule: Some(accept(DOCKER_USER, Dir::Out, "berth0")),
                },
                Found {
                    id: ("DOCKER-USER".into(), 6),
                    rule: Some(accept(DOCKER_USER, Dir::In, "br-gone")),
                },
                Found {
                    id: ("FORWARD".into(), 8),
                    rule: None,
                },
            ]
        );
    }

    #[test]
    fn accept_policy_and_bad_json() {
        let l = parse(
            r#"{"nftables": [{"chain": {"family": "ip", "table": "filter", "name": "FORWARD",
                "handle": 2, "type": "filter", "hook": "forward", "prio": 0,
                "policy": "accept"}}]}"#,
        )
        .unwrap();
        assert!(!l.forward_drops && !l.docker_user);
        assert!(parse("not json").is_err());
        assert!(parse("{}").is_err());
    }

    #[test]
    fn script_deletes_by_handle_then_inserts() {
        let p = plan::plan(parse(DOCKER).unwrap(), &["berth0"]);
        assert_eq!(
            script(&p),
            "# berth: its accept rules in table ip filter\n\
             delete rule ip filter DOCKER-USER handle 6\n\
             delete rule ip filter FORWARD handle 8\n\
             insert rule ip filter DOCKER-USER iifname \"berth0\" counter accept comment \"berth\"\n"
        );
        assert!(!script(&p).contains("flush"));
    }
}

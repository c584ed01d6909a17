//! What berth's accept rules in the host's `filter` table must be, and the changes that get
//! there from what is found (the same for iptables-nft and iptables-legacy).

use std::collections::HashSet;

/// The tag on every rule berth adds to the host's `filter` table: an nft rule comment,
/// `-m comment --comment berth` to iptables. Rules carrying it are berth's; no other rule
/// is ever changed.
pub const TAG: &str = "berth";
/// Docker's chain for rules of others, jumped to first from `FORWARD`.
pub const DOCKER_USER: &str = "DOCKER-USER";
/// The `filter` table's forward chain.
pub const FORWARD: &str = "FORWARD";

/// Which side of a bridge a rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    /// Coming in from the bridge (`-i`, `iifname`).
    In,
    /// Going out to the bridge (`-o`, `oifname`).
    Out,
}

/// One accept rule of berth's: everything in or out of `bridge`, in `chain`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Accept {
    /// `DOCKER-USER` or `FORWARD`.
    pub chain: String,
    /// In or out.
    pub dir: Dir,
    /// The bridge.
    pub bridge: String,
}

/// A rule tagged as berth's, found in the table: how to delete it (an nft handle, an
/// iptables rule spec) and what it is, if it has the shape berth gives its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<Id> {
    /// What deletes it.
    pub id: Id,
    /// The rule, `None` if berth does not recognise it (it is deleted).
    pub rule: Option<Accept>,
}

/// What berth needs to know of the host's `filter` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing<Id> {
    /// `FORWARD` exists and its policy is DROP.
    pub forward_drops: bool,
    /// `DOCKER-USER` exists.
    pub docker_user: bool,
    /// berth's rules, in table order.
    pub found: Vec<Found<Id>>,
}

/// The changes to make: rules to delete, rules to insert (in this order, each at the top
/// of its chain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan<Id> {
    /// berth's rules that must go.
    pub delete: Vec<Id>,
    /// Rules to insert, each at the top of its chain.
    pub insert: Vec<Accept>,
}

impl<Id> Plan<Id> {
    /// Nothing to change.
    pub fn is_empty(&self) -> bool {
        self.delete.is_empty() && self.insert.is_empty()
    }
}

/// The rules berth wants: while `FORWARD` drops, an accept in and an accept out of each
/// bridge, in `DOCKER-USER` when it exists (where Docker wants rules of others), else in
/// `FORWARD`; nothing otherwise.
pub fn wanted<Id>(listing: &Listing<Id>, bridges: &[&str]) -> Vec<Accept> {
    if !listing.forward_drops {
        return Vec::new();
    }
    let chain = if listing.docker_user {
        DOCKER_USER
    } else {
        FORWARD
    };
    bridges
        .iter()
        .flat_map(|b| {
            [Dir::In, Dir::Out].map(|dir| Accept {
                chain: chain.to_string(),
                dir,
                bridge: b.to_string(),
            })
        })
        .collect()
}

/// The changes from `listing` to [`wanted`]: berth's rules not wanted (stale bridges, the
/// other chain, duplicates, unrecognised shapes) are deleted, missing ones inserted. The
/// inserts are listed last rule first, so that once each is put at the top of its chain
/// they read in bridge order.
pub fn plan<Id>(listing: Listing<Id>, bridges: &[&str]) -> Plan<Id> {
    let want = wanted(&listing, bridges);
    let mut kept = HashSet::new();
    let mut delete = Vec::new();
    for f in listing.found {
        match f.rule {
            Some(r) if want.contains(&r) && !kept.contains(&r) => {
                kept.insert(r);
            }
            _ => delete.push(f.id),
        }
    }
    let insert = want
        .into_iter()
        .rev()
        .filter(|r| !kept.contains(r))
        .collect();
    Plan { delete, insert }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn accept(chain: &str, dir: Dir, bridge: &str) -> Accept {
        Accept {
            chain: chain.into(),
            dir,
            bridge: bridge.into(),
        }
    }

    fn found(id: u32, rule: Option<Accept>) -> Found<u32> {
        Found { id, rule }
    }

    #[test]
    fn nothing_without_a_drop_policy() {
        let listing = Listing {
            forward_drops: false,
            docker_user: true,
            found: vec![found(1, Some(accept(DOCKER_USER, Dir::In, "berth0")))],
        };
        assert!(wanted(&listing, &["berth0"]).is_empty());
        // Left-overs go.
        let p = plan(listing, &["berth0"]);
        assert_eq!(p.delete, [1]);
        assert!(p.insert.is_empty());
    }

    #[test]
    fn docker_user_first_else_forward() {
        let mut listing: Listing<u32> = Listing {
            forward_drops: true,
            docker_user: true,
            found: vec![],
        };
        assert_eq!(
            wanted(&listing, &["berth0", "br-1"]),
            [
                accept(DOCKER_USER, Dir::In, "berth0"),
                accept(DOCKER_USER, Dir::Out, "berth0"),
                accept(DOCKER_USER, Dir::In, "br-1"),
                accept(DOCKER_USER, Dir::Out, "br-1"),
            ]
        );
        listing.docker_user = false;
        assert_eq!(
            wanted(&listing, &["berth0"]),
            [
                accept(FORWARD, Dir::In, "berth0"),
                accept(FORWARD, Dir::Out, "berth0")
            ]
        );
        // Inserted last first: at the top of the chain they read in order.
        let p = plan(listing, &["berth0"]);
        assert!(p.delete.is_empty());
        assert_eq!(
            p.insert,
            [
                accept(FORWARD, Dir::Out, "berth0"),
                accept(FORWARD, Dir::In, "berth0")
            ]
        );
    }

    #[test]
    fn in_step_with_the_bridges() {
        let listing = Listing {
            forward_drops: true,
            docker_user: true,
            found: vec![
                found(1, Some(accept(DOCKER_USER, Dir::In, "berth0"))),
                found(2, Some(accept(DOCKER_USER, Dir::Out, "berth0"))),
                // A network that is gone.
                found(3, Some(accept(DOCKER_USER, Dir::In, "br-old"))),
                // Put in FORWARD before Docker made DOCKER-USER.
                found(4, Some(accept(FORWARD, Dir::In, "br-new"))),
                // A duplicate, and a rule of an unknown shape.
                found(5, Some(accept(DOCKER_USER, Dir::In, "berth0"))),
                found(6, None),
            ],
        };
        let p = plan(listing.clone(), &["berth0", "br-new"]);
        assert_eq!(p.delete, [3, 4, 5, 6]);
        assert_eq!(
            p.insert,
            [
                accept(DOCKER_USER, Dir::Out, "br-new"),
                accept(DOCKER_USER, Dir::In, "br-new")
            ]
        );
        // In step already: nothing to do.
        let listing = Listing {
            found: listing.found[..2].to_vec(),
            ..listing
        };
        assert!(plan(listing.clone(), &["berth0"]).is_empty());
        // The last network gone: everything of berth's goes.
        assert_eq!(plan(listing, &[]).delete, [1, 2]);
    }
}

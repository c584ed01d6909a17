//! Environment lookups for expansion. Names are case-sensitive, as on Linux.

use std::collections::{BTreeMap, HashMap};

/// Something that can answer "what is the value of variable `name`?".
pub trait EnvLookup {
    /// The value of `name`, or `None` when it is unset. A set-but-empty variable is `Some("")`.
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl EnvLookup for HashMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl EnvLookup for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

/// An environment built from `NAME=value` entries, like BuildKit's `EnvsFromSlice`: an entry
/// without `=` defines an empty variable, and a later entry for the same name wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvList {
    vars: BTreeMap<String, String>,
}

impl EnvList {
    /// Builds the environment from `NAME=value` strings.
    pub fn from_entries<I, S>(entries: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut list = Self::default();
        for entry in entries {
            let entry = entry.as_ref();
            match entry.split_once('=') {
                Some((k, v)) => list.set(k, v),
                None => list.set(entry, ""),
            }
        }
        list
    }

    /// Sets (or replaces) one variable.
    pub fn set(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_string(), value.to_string());
    }
}

impl EnvLookup for EnvList {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

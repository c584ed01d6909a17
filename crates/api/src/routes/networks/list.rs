//! `GET /networks?filters=`: the list and its filters.

use std::collections::BTreeMap;

use berth_engine::network::manage::PREDEFINED;
use serde_json::Value;

use super::{network_json, predefined_json};
use crate::ctx::Ctx;
use crate::error::{ApiError, ApiResult};
use crate::http::{Reply, Request};
use crate::query::Filters;

/// `GET /networks?filters=`.
pub(super) fn list(ctx: &Ctx, req: &Request) -> ApiResult<Reply> {
    let f = req.query.filters()?;
    f.only(&["name", "id", "label", "driver", "type", "dangling"])?;
    let keep = ListFilter::parse(&f)?;
    let e = ctx.engine()?;
    let mut out = Vec::new();
    let ctrs = berth_engine::containers::brief::list(&e.db)?;
    for n in e.networks()? {
        let v = network_json(&n, &ctrs)?;
        let builtin = n.name == "bridge";
        let empty = v["Containers"].as_object().is_none_or(|m| m.is_empty());
        if keep.matches(&v, builtin, empty) {
            out.push(v);
        }
    }
    for p in PREDEFINED {
        let v = predefined_json(p);
        if keep.matches(&v, true, true) {
            out.push(v);
        }
    }
    Reply::ok(Value::Array(out))
}

/// The `filters` of a network list.
struct ListFilter<'a> {
    f: &'a Filters,
    dangling: Option<bool>,
}

impl<'a> ListFilter<'a> {
    fn parse(f: &'a Filters) -> ApiResult<ListFilter<'a>> {
        for t in f.get("type") {
            if t != "custom" && t != "builtin" {
                return Err(ApiError::bad_request(format!(
                    "invalid filter: 'type'='{t}'"
                )));
            }
        }
        let dangling = f.one_bool("dangling")?;
        Ok(ListFilter { f, dangling })
    }

    /// Whether the network `v` passes (`builtin`: the default or a predefined network;
    /// `empty`: no container on it).
    fn matches(&self, v: &Value, builtin: bool, empty: bool) -> bool {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let (name, id, driver) = (s("Name"), s("Id"), s("Driver"));
        let labels: BTreeMap<String, String> =
            serde_json::from_value(v["Labels"].clone()).unwrap_or_default();
        let any = |key: &str, test: &dyn Fn(&str) -> bool| {
            let vals = self.f.get(key);
            vals.is_empty() || vals.iter().any(|x| test(x))
        };
        any("name", &|x| name.contains(x))
            && any("id", &|x| id.starts_with(x))
            && any("driver", &|x| driver == x)
            && any("type", &|x| (x == "builtin") == builtin)
            && self.f.labels_match(&labels)
            && self.dangling.is_none_or(|d| {
                if d {
                    !builtin && empty
                } else {
                    builtin || !empty
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_filters() {
        let f = Filters::parse(r#"{"name":["fro"],"label":["tier=web"]}"#).unwrap();
        let lf = ListFilter::parse(&f).unwrap();
        let v = json!({"Name":"front","Id":"abc","Driver":"bridge","Labels":{"tier":"web"}});
        assert!(lf.matches(&v, false, true));
        let v2 = json!({"Name":"front","Id":"abc","Driver":"bridge","Labels":{}});
        assert!(!lf.matches(&v2, false, true));
        let d = Filters::parse(r#"{"dangling":["true"]}"#).unwrap();
        let ld = ListFilter::parse(&d).unwrap();
        assert!(ld.matches(&v, false, true) && !ld.matches(&v, true, true));
        assert!(ListFilter::parse(&Filters::parse(r#"{"dangling":["maybe"]}"#).unwrap()).is_err());
        assert!(ListFilter::parse(&Filters::parse(r#"{"type":["x"]}"#).unwrap()).is_err());
    }
}

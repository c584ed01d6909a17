//! `config` output and the config hash.

use super::*;

#[test]
fn json_is_compose_config_shaped() {
    let p = proj(json!({
        "services": {"web": {"image": "nginx", "ports": ["8080:80"], "volumes": ["./html:/usr/share/nginx/html:ro"],
            "environment": ["A=1"], "healthcheck": {"test": "true", "interval": "90s"},
            "extra_hosts": ["h:1.2.3.4"], "depends_on": ["db"]},
            "db": {"image": "postgres", "networks": {"back": {"aliases": ["database"]}}}},
        "networks": {"back": {}}
    }));
    let j = p.to_json();
    assert_eq!(j["name"], "proj");
    let web = &j["services"]["web"];
    assert_eq!(
        web["ports"],
        json!([{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}])
    );
    assert_eq!(
        web["volumes"],
        json!([{"type": "bind", "source": "/work/proj/html", "target": "/usr/share/nginx/html", "read_only": true,
            "bind": {"create_host_path": true}}])
    );
    assert_eq!(web["environment"], json!({"A": "1"}));
    assert_eq!(web["healthcheck"]["interval"], "1m30s");
    assert_eq!(web["networks"], json!({"default": null}));
    assert_eq!(web["extra_hosts"], json!(["h=1.2.3.4"]));
    assert_eq!(
        web["depends_on"],
        json!({"db": {"condition": "service_started", "restart": false, "required": true}})
    );
    assert_eq!(
        j["services"]["db"]["networks"],
        json!({"back": {"aliases": ["database"]}})
    );
    assert_eq!(
        j["networks"],
        json!({"back": {"name": "proj_back"}, "default": {"name": "proj_default"}})
    );
    assert!(j.get("volumes").is_none());
    let y = p.to_yaml().unwrap_or_else(|e| panic!("{e}"));
    assert!(y.contains("interval: 1m30s"), "{y}");
    assert!(y.contains("name: proj_default"), "{y}");
}

#[test]
fn config_hash_tracks_what_matters() {
    let base = json!({"services": {"web": {"image": "nginx", "environment": {"A": "1"}}}});
    let h = proj(base.clone()).config_hash("web");
    assert_eq!(h.len(), 64);
    assert_eq!(h, proj(base).config_hash("web"), "stable");
    let env = proj(json!({"services": {"web": {"image": "nginx", "environment": {"A": "2"}}}}));
    assert_ne!(h, env.config_hash("web"));
    let scaled = proj(
        json!({"services": {"web": {"image": "nginx", "environment": {"A": "1"}, "scale": 3,
        "pull_policy": "always"}}}),
    );
    assert_eq!(
        h,
        scaled.config_hash("web"),
        "scale and pull_policy do not recreate"
    );
    assert_eq!(scaled.config_hash("nope"), "");
}

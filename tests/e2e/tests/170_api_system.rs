//! The Docker Engine API service (`berth system service`): version negotiation and the
//! system routes, through Debian's docker CLI and raw requests.

use berth_e2e::api::Api;

#[test]
fn version_negotiation_and_ping() {
    let Some(api) = Api::new("api-version") else {
        return;
    };
    let out = api
        .docker(&["version", "--format", "{{.Server.APIVersion}}"])
        .ok();
    assert_eq!(out.out().trim(), "1.41", "{out}");
    let (status, body) = api.request("GET", "/_ping", None);
    assert_eq!((status, body.as_str()), (200, "OK"));
    let (status, body) = api.request_json("GET", "/v1.99/version", None);
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap_or("").contains("too new"),
        "{body}"
    );
    let (status, body) = api.request_json("GET", "/v1.24/version", None);
    assert_eq!(
        (status, body["ApiVersion"].as_str()),
        (200, Some("1.41")),
        "{body}"
    );
    let (status, body) = api.request_json("GET", "/no/such/route", None);
    assert_eq!(status, 404, "{body}");
}

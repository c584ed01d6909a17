//! Docker's words for a container's state: the `Status` of the container list and of
//! `system df` ("Up 3 seconds", "Exited (0) 2 seconds ago").

use std::time::SystemTime;

use berth_engine::containers::State;
pub use berth_units::duration::human_duration;

/// An RFC 3339 time as the engine records it; `None` when empty or malformed.
pub fn parse_time(t: &str) -> Option<SystemTime> {
    if t.is_empty() || t.starts_with("0001-") {
        return None;
    }
    berth_engine::system::prune_filter::parse_time("time", t, SystemTime::now()).ok()
}

/// The list's `Status`, as dockerd's `State.String()` words it.
pub fn status_text(s: &State, now: SystemTime) -> String {
    let since = |t: &str| {
        parse_time(t)
            .map(|t| now.duration_since(t).unwrap_or_default())
            .unwrap_or_default()
    };
    match s.status.as_str() {
        "running" | "paused" => {
            let up = human_duration(since(&s.started_at));
            if s.status == "paused" {
                return format!("Up {up} (Paused)");
            }
            match s.health.as_ref().map(|h| h.status.as_str()) {
                Some("starting") => format!("Up {up} (health: starting)"),
                Some(h) if !h.is_empty() && h != "none" => format!("Up {up} ({h})"),
                _ => format!("Up {up}"),
            }
        }
        "restarting" => format!(
            "Restarting ({}) {} ago",
            s.exit_code,
            human_duration(since(&s.finished_at))
        ),
        "dead" => "Dead".into(),
        "removing" => "Removal In Progress".into(),
        _ if parse_time(&s.started_at).is_none() && parse_time(&s.finished_at).is_none() => {
            "Created".into()
        }
        _ => format!(
            "Exited ({}) {} ago",
            s.exit_code,
            human_duration(since(&s.finished_at))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        let now = parse_time("2024-01-01T00:01:00Z").unwrap();
        let mut s = State {
            status: "running".into(),
            started_at: "2024-01-01T00:00:57Z".into(),
            ..Default::default()
        };
        assert_eq!(status_text(&s, now), "Up 3 seconds");
        s.status = "paused".into();
        assert_eq!(status_text(&s, now), "Up 3 seconds (Paused)");
        s.status = "exited".into();
        s.finished_at = "2024-01-01T00:00:58Z".into();
        s.exit_code = 2;
        assert_eq!(status_text(&s, now), "Exited (2) 2 seconds ago");
        let created = State {
            status: "created".into(),
            ..Default::default()
        };
        assert_eq!(status_text(&created, now), "Created");
        assert_eq!(
            human_duration(std::time::Duration::from_secs(61)),
            "About a minute"
        );
        assert_eq!(
            human_duration(std::time::Duration::from_secs(5)),
            "5 seconds"
        );
        assert_eq!(
            human_duration(std::time::Duration::from_secs(7200)),
            "2 hours"
        );
        let exited = State {
            status: "exited".into(),
            started_at: "2024-01-01T00:00:00Z".into(),
            finished_at: "2024-01-01T00:00:30Z".into(),
            exit_code: 3,
            ..Default::default()
        };
        assert_eq!(status_text(&exited, now), "Exited (3) 30 seconds ago");
    }
}

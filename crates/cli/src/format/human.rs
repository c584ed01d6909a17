//! Human-readable sizes, durations, container status strings and column
//! truncation, matching Docker's `go-units` and CLI formatter helpers.

use super::width::char_width;
use berth_gotemplate::{go_float, go_quote};
pub use berth_units::duration::human_duration;
use std::time::{Duration, SystemTime};

const DECIMAL_UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY_UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

fn scale(mut size: f64, base: f64, units: &[&'static str]) -> (f64, &'static str) {
    let mut i = 0;
    while size >= base && i < units.len() - 1 {
        size /= base;
        i += 1;
    }
    (size, units[i])
}

/// go-units `HumanSizeWithPrecision`: decimal units, `%.{precision}g`.
pub fn human_size_with_precision(size: f64, precision: usize) -> String {
    let (v, unit) = scale(size, 1000.0, &DECIMAL_UNITS);
    format!("{}{unit}", go_float(v, 'g', Some(precision)))
}

/// Size as Docker lists it (`docker images`, `ps --size`, stats I/O):
/// decimal units, 3 significant digits — `"1.23MB"`, `"4.26kB"`, `"512B"`.
pub fn human_size(bytes: u64) -> String {
    human_size_with_precision(bytes as f64, 3)
}

/// go-units `BytesSize`: binary units, 4 significant digits, as
/// `docker stats` shows memory — `"1.5MiB"`, `"7.637GiB"`.
pub fn bytes_size(bytes: u64) -> String {
    let (v, unit) = scale(bytes as f64, 1024.0, &BINARY_UNITS);
    format!("{}{unit}", go_float(v, 'g', Some(4)))
}

/// Time elapsed from `then` to `now`, zero if `then` is in the future.
pub fn elapsed(then: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(then).unwrap_or_default()
}

/// `"<duration> ago"` as in the CREATED column: `"5 minutes ago"`.
pub fn ago(d: Duration) -> String {
    format!("{} ago", human_duration(d))
}

/// The inputs of a container's STATUS string.
#[derive(Debug, Clone, Default)]
pub struct StatusInfo<'a> {
    /// The container process is running.
    pub running: bool,
    /// The container is frozen.
    pub paused: bool,
    /// The container is being restarted by its restart policy.
    pub restarting: bool,
    /// Removal is in progress.
    pub removing: bool,
    /// The container is dead.
    pub dead: bool,
    /// Last exit code.
    pub exit_code: i64,
    /// When the container last started (`None` if never).
    pub started_at: Option<SystemTime>,
    /// When the container last stopped (`None` if never).
    pub finished_at: Option<SystemTime>,
    /// Health status (`"starting"`, `"healthy"`, `"unhealthy"`), if any.
    pub health: Option<&'a str>,
}

/// Docker's container status string (the daemon's `State.String()`):
/// `"Up 5 seconds"`, `"Up 5 seconds (healthy)"`, `"Up 2 minutes (Paused)"`,
/// `"Restarting (1) 2 seconds ago"`, `"Exited (0) 3 seconds ago"`,
/// `"Created"`, `"Dead"`, `"Removal In Progress"`.
pub fn container_status(s: &StatusInfo, now: SystemTime) -> String {
    let since = |t: Option<SystemTime>| t.map(|t| elapsed(t, now)).unwrap_or_default();
    if s.running {
        if s.paused {
            return format!("Up {} (Paused)", human_duration(since(s.started_at)));
        }
        if s.restarting {
            return format!("Restarting ({}) {}", s.exit_code, ago(since(s.finished_at)));
        }
        let up = human_duration(since(s.started_at));
        return match s.health {
            Some("starting") => format!("Up {up} (health: starting)"),
            Some(h) if !h.is_empty() && h != "none" => format!("Up {up} ({h})"),
            _ => format!("Up {up}"),
        };
    }
    if s.removing {
        return "Removal In Progress".into();
    }
    if s.dead {
        return "Dead".into();
    }
    if s.started_at.is_none() {
        return "Created".into();
    }
    match s.finished_at {
        None => String::new(),
        Some(f) => format!("Exited ({}) {}", s.exit_code, ago(elapsed(f, now))),
    }
}

/// Docker's `stringid.TruncateID`: drops an `algo:` prefix, keeps 12 chars.
pub fn truncate_id(id: &str) -> &str {
    let id = id.split_once(':').map_or(id, |(_, rest)| rest);
    match id.char_indices().nth(12) {
        Some((end, _)) => &id[..end],
        None => id,
    }
}

/// Docker's `formatter.Ellipsis`: shortens `s` to at most `max` display
/// columns, ending in `…` when cut.
pub fn ellipsis(s: &str, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    let widths: Vec<usize> = s.chars().map(char_width).collect();
    if max == 1 {
        return s.chars().next().map(String::from).unwrap_or_default();
    }
    if widths.iter().sum::<usize>() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for (c, w) in s.chars().zip(widths) {
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// The COMMAND column of `docker ps`: truncated to 20 columns unless
/// `no_trunc`, then Go-quoted — `"sh -c 'sleep 1000'"` -> `"sh -c 'sleep 1000'"`
/// fits, `"/docker-entrypoint.sh nginx"` -> `"/docker-entrypoint.…"`.
pub fn command_column(command: &str, no_trunc: bool) -> String {
    if no_trunc {
        go_quote(command)
    } else {
        go_quote(&ellipsis(command, 20))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_size(4260), "4.26kB");
        assert_eq!(human_size(1_234_567), "1.23MB");
        assert_eq!(human_size(1_100_000_000), "1.1GB");
        assert_eq!(human_size(7_800_000), "7.8MB");
        assert_eq!(human_size(999_999), "1e+03kB");
        assert_eq!(human_size(1000), "1kB");
        assert_eq!(human_size(187_654_321), "188MB");
        assert_eq!(human_size_with_precision(2_746_000.0, 4), "2.746MB");
    }

    #[test]
    fn binary_sizes() {
        assert_eq!(bytes_size(0), "0B");
        assert_eq!(bytes_size(1_572_864), "1.5MiB");
        assert_eq!(bytes_size(8_200_000_000), "7.637GiB");
        assert_eq!(bytes_size(1023), "1023B");
        assert_eq!(bytes_size(44 * 1024), "44KiB");
    }

    #[test]
    fn durations_match_go_units() {
        let s = Duration::from_secs;
        let (min, hour, day) = (60, 3600, 86_400);
        let (week, month, year) = (7 * day, 30 * day, 365 * day);
        let cases: &[(Duration, &str)] = &[
            (Duration::from_millis(450), "Less than a second"),
            (s(1), "1 second"),
            (s(45), "45 seconds"),
            (s(59), "59 seconds"),
            (s(60), "About a minute"),
            (s(3 * min), "3 minutes"),
            (s(35 * min + 40), "35 minutes"),
            (s(59 * min), "59 minutes"),
            (s(hour), "About an hour"),
            (s(hour + 29 * min), "About an hour"),
            (s(hour + 31 * min), "2 hours"),
            (s(3 * hour + 31 * min), "4 hours"),
            (s(day), "24 hours"),
            (s(day + 12 * hour), "36 hours"),
            (s(2 * day), "2 days"),
            (s(13 * day + 5 * hour), "13 days"),
            (s(2 * week), "2 weeks"),
            (s(4 * week + 3 * day), "4 weeks"),
            (s(month + 2 * week), "6 weeks"),
            (s(2 * month), "2 months"),
            (s(5 * month + 2 * week), "5 months"),
            (s(24 * month), "24 months"),
            (s(24 * month + 2 * week), "2 years"),
            (s(3 * year + 2 * month), "3 years"),
        ];
        for (d, want) in cases {
            assert_eq!(human_duration(*d), *want, "{d:?}");
        }
        assert_eq!(ago(s(3)), "3 seconds ago");
    }

    #[test]
    fn statuses() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let ago_s = |n: u64| Some(now - Duration::from_secs(n));
        let base = StatusInfo {
            running: true,
            started_at: ago_s(5),
            ..Default::default()
        };
        assert_eq!(container_status(&base, now), "Up 5 seconds");
        let healthy = StatusInfo {
            health: Some("healthy"),
            ..base.clone()
        };
        assert_eq!(container_status(&healthy, now), "Up 5 seconds (healthy)");
        let starting = StatusInfo {
            health: Some("starting"),
            ..base.clone()
        };
        assert_eq!(
            container_status(&starting, now),
            "Up 5 seconds (health: starting)"
        );
        let paused = StatusInfo {
            paused: true,
            started_at: ago_s(150),
            ..base.clone()
        };
        assert_eq!(container_status(&paused, now), "Up 2 minutes (Paused)");
        let restarting = StatusInfo {
            restarting: true,
            exit_code: 1,
            finished_at: ago_s(2),
            ..base.clone()
        };
        assert_eq!(
            container_status(&restarting, now),
            "Restarting (1) 2 seconds ago"
        );
        let exited = StatusInfo {
            exit_code: 0,
            started_at: ago_s(10),
            finished_at: ago_s(3),
            ..Default::default()
        };
        assert_eq!(container_status(&exited, now), "Exited (0) 3 seconds ago");
        assert_eq!(container_status(&StatusInfo::default(), now), "Created");
        let just = StatusInfo {
            running: true,
            started_at: Some(now),
            ..Default::default()
        };
        assert_eq!(container_status(&just, now), "Up Less than a second");
    }

    #[test]
    fn ids_and_ellipsis() {
        assert_eq!(truncate_id("sha256:0123456789abcdef0123"), "0123456789ab");
        assert_eq!(truncate_id("abc"), "abc");
        assert_eq!(
            ellipsis("sh -c 'sleep 1000; echo done'", 20),
            "sh -c 'sleep 1000; …"
        );
        assert_eq!(ellipsis("short", 20), "short");
        assert_eq!(ellipsis("日本語日本語", 5), "日本…");
        assert_eq!(ellipsis("abc", 1), "a");
        assert_eq!(
            command_column("/docker-entrypoint.sh nginx -g 'daemon off;'", false),
            "\"/docker-entrypoint.…\""
        );
        assert_eq!(command_column("sleep 1000", false), "\"sleep 1000\"");
        assert_eq!(command_column("echo \"hi\"", true), "\"echo \\\"hi\\\"\"");
    }
}

//! Restart decisions (Docker's policies) and the backoff between restarts.

use std::time::Duration;

use crate::config::RestartPolicy;

/// The first delay before a restart.
const FIRST_DELAY: Duration = Duration::from_millis(100);
/// The delay never grows past this.
const MAX_DELAY: Duration = Duration::from_secs(60);
/// A run this long resets the delay.
const RESET_AFTER: Duration = Duration::from_secs(10);

/// Whether to restart after an exit with `code`, having restarted `count` times already.
/// `stopped` is true when the engine asked for the stop (`stop-requested` exists).
pub fn should_restart(policy: RestartPolicy, code: i32, count: u32, stopped: bool) -> bool {
    if stopped {
        return false;
    }
    match policy {
        RestartPolicy::No => false,
        RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
        RestartPolicy::OnFailure { max_retries } => {
            code != 0 && (max_retries == 0 || count < max_retries)
        }
    }
}

/// Docker-like backoff: 100 ms doubling, reset after 10 s of uptime.
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST_DELAY }
    }
}

impl Backoff {
    /// The delay before the next restart after a run that lasted `uptime`.
    pub fn delay(&mut self, uptime: Duration) -> Duration {
        if uptime >= RESET_AFTER {
            self.next = FIRST_DELAY;
        }
        let d = self.next;
        self.next = (self.next * 2).min(MAX_DELAY);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies() {
        let of = RestartPolicy::OnFailure { max_retries: 2 };
        assert!(should_restart(of, 1, 0, false));
        assert!(should_restart(of, 1, 1, false));
        assert!(!should_restart(of, 1, 2, false));
        assert!(!should_restart(of, 0, 0, false));
        assert!(should_restart(
            RestartPolicy::OnFailure { max_retries: 0 },
            1,
            99,
            false
        ));
        assert!(should_restart(RestartPolicy::Always, 0, 5, false));
        assert!(!should_restart(RestartPolicy::Always, 0, 5, true));
        assert!(!should_restart(RestartPolicy::No, 1, 0, false));
    }

    #[test]
    fn backoff() {
        let mut b = Backoff::default();
        let short = Duration::from_millis(1);
        assert_eq!(b.delay(short), Duration::from_millis(100));
        assert_eq!(b.delay(short), Duration::from_millis(200));
        assert_eq!(b.delay(short), Duration::from_millis(400));
        assert_eq!(b.delay(Duration::from_secs(11)), Duration::from_millis(100));
    }
}

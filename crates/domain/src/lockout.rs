//! Account lockout: N failed logins within a window lock the account for a
//! while. The store keeps the counters; this decides.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window: Duration,
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy { max_failures: 5, window: Duration::from_secs(15 * 60), lock_for: Duration::from_secs(15 * 60) }
    }
}

/// Failed-login counters of one account; times are unix milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailureState {
    pub failures: u32,
    pub first_failure_at: Option<i64>,
    pub locked_until: Option<i64>,
}

impl LockoutPolicy {
    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, state: &FailureState, now: i64) -> bool {
        state.locked_until.is_some_and(|until| until > now)
    }

    /// The counters after one more failed attempt at `now`.
    pub fn record_failure(&self, state: &FailureState, now: i64) -> FailureState {
        let window_ms = self.window.as_millis() as i64;
        let in_window = state.first_failure_at.is_some_and(|first| now - first < window_ms);
        let (failures, first) =
            if in_window { (state.failures.saturating_add(1), state.first_failure_at) } else { (1, Some(now)) };
        if failures >= self.max_failures {
            FailureState {
                failures: 0,
                first_failure_at: None,
                locked_until: Some(now + self.lock_for.as_millis() as i64),
            }
        } else {
            FailureState { failures, first_failure_at: first, locked_until: state.locked_until }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_in_window_lock() {
        let policy = LockoutPolicy::default();
        let mut state = FailureState::default();
        for i in 0..4 {
            state = policy.record_failure(&state, 1_000 + i);
            assert!(!policy.is_locked(&state, 1_000 + i));
        }
        state = policy.record_failure(&state, 2_000);
        assert!(policy.is_locked(&state, 2_001));
        assert!(!policy.is_locked(&state, 2_000 + 15 * 60 * 1000));
    }

    #[test]
    fn failures_outside_the_window_start_over() {
        let policy = LockoutPolicy::default();
        let mut state = FailureState::default();
        for i in 0..4 {
            state = policy.record_failure(&state, i);
        }
        state = policy.record_failure(&state, 16 * 60 * 1000);
        assert_eq!(state.failures, 1);
        assert!(!policy.is_locked(&state, 16 * 60 * 1000));
    }
}

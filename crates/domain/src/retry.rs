//! The sync engine's retry policy as pure types: what one attempt's outcome
//! means for its task ([`RetryPolicy::verdict`]) and for its target's
//! circuit ([`Circuit`]). The clock and the jitter are passed in, so the
//! tables below are the specification. Changing how plat retries touches
//! this file (and the defaults in `daemon/src/config.rs`), nothing else.

use std::time::Duration;

use plat_proto::CircuitState;

use crate::delivery::{Outcome, classify};

/// What becomes of a task after one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again at this time (unix ms).
    Retry(i64),
    /// Into the dead-letter queue.
    Dead,
    /// Into the dead-letter queue, and the target is disabled (HTTP 410).
    Gone,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Delivered => "delivered",
            Verdict::Retry(_) => "retry",
            Verdict::Dead => "dead",
            Verdict::Gone => "gone",
        }
    }
}

/// A target's retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts before a task goes to the dead-letter queue.
    pub max_attempts: u32,
    /// The first retry waits up to this; each further one up to twice the last.
    pub backoff_base: Duration,
    /// No backoff is longer (a target's `Retry-After` may ask for longer,
    /// and gets it: the driver caps what it reads at an hour).
    pub backoff_cap: Duration,
}

impl RetryPolicy {
    /// The verdict on an attempt that ended in `outcome` at `now` (unix
    /// ms), the `attempts`-th of the task's budget (1 for the first; a
    /// manual retry or replay starts a new budget). `retry_after` is what
    /// the target asked for; `unit` in [0, 1) picks the jitter.
    ///
    /// Retries wait with "full jitter" under `min(cap, base · 2^(n-1))`,
    /// and at least what `Retry-After` asked.
    pub fn verdict(
        &self,
        outcome: Outcome,
        attempts: u32,
        retry_after: Option<Duration>,
        now: i64,
        unit: f64,
    ) -> Verdict {
        match outcome {
            Outcome::Delivered => Verdict::Delivered,
            Outcome::Permanent => Verdict::Dead,
            Outcome::Gone => Verdict::Gone,
            Outcome::Retry if attempts >= self.max_attempts => Verdict::Dead,
            Outcome::Retry => {
                let mut wait = backoff(attempts, self.backoff_base, self.backoff_cap, unit);
                if let Some(asked) = retry_after {
                    wait = wait.max(asked);
                }
                Verdict::Retry(now + wait.as_millis() as i64)
            }
        }
    }
}

/// Delay before retry number `attempt` (1 for the first retry): a uniformly
/// random point (`unit` in [0, 1)) below `min(cap, base * 2^(attempt-1))`,
/// the "full jitter" of exponential backoff.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, unit: f64) -> Duration {
    let exp = 2u32.saturating_pow(attempt.saturating_sub(1).min(30));
    let ceiling = base.saturating_mul(exp).min(cap);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

/// Whether an attempt counts against its target's circuit: transport
/// errors, timeouts, 408, 429 and 5xx do; any answer from a target that is
/// up (even 4xx) does not.
pub fn is_circuit_failure(verdict: Verdict, status: Option<u16>) -> bool {
    match verdict {
        Verdict::Retry(_) => true,
        Verdict::Dead => status.is_none_or(|s| classify(s) == Outcome::Retry),
        Verdict::Delivered | Verdict::Gone => false,
    }
}

/// When a target's circuit opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitPolicy {
    /// Consecutive failures that open the circuit.
    pub failures: u32,
    /// How long it stays open before one probe may go (half open).
    pub cooldown: Duration,
}

/// A target's circuit as stored (every replica acts on the stored one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Circuit {
    pub state: CircuitState,
    /// Consecutive failures so far.
    pub failures: u32,
    /// While open: when a probe may go (unix ms).
    pub open_until: Option<i64>,
}

impl Circuit {
    pub fn closed() -> Circuit {
        Circuit { state: CircuitState::Closed, failures: 0, open_until: None }
    }

    /// The state at `now`: an open circuit whose cool-down is over is half
    /// open. Every replica derives it from the stored circuit and its clock.
    pub fn state_at(&self, now: i64) -> CircuitState {
        match self.state {
            CircuitState::Open if self.open_until.is_some_and(|t| now >= t) => CircuitState::HalfOpen,
            state => state,
        }
    }

    /// How many new deliveries the circuit lets through at `now`, with
    /// `in_flight` going: any while closed, none while open, one probe at a
    /// time while half open.
    pub fn allowance(&self, in_flight: u32, now: i64) -> u32 {
        match self.state_at(now) {
            CircuitState::Closed => u32::MAX,
            CircuitState::Open => 0,
            CircuitState::HalfOpen => u32::from(in_flight == 0),
        }
    }

    /// Count one outcome at `now`: `policy.failures` consecutive failures,
    /// or a failed probe, open it for `policy.cooldown`; a success closes it.
    pub fn record(&mut self, failure: bool, policy: &CircuitPolicy, now: i64) {
        if failure {
            self.failures = self.failures.saturating_add(1);
            let probing = self.state_at(now) == CircuitState::HalfOpen;
            if probing || self.failures >= policy.failures.max(1) {
                self.state = CircuitState::Open;
                self.open_until = Some(now + policy.cooldown.as_millis() as i64);
            }
        } else {
            *self = Circuit::closed();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn policy() -> RetryPolicy {
        RetryPolicy { max_attempts: 3, backoff_base: S, backoff_cap: 10 * S }
    }

    #[test]
    fn verdicts_follow_the_table() {
        use Outcome::*;
        // (outcome, attempt, Retry-After, jitter unit) -> verdict, at now = 1000 ms
        let table: &[(Outcome, u32, Option<Duration>, f64, Verdict)] = &[
            (Delivered, 1, None, 0.5, Verdict::Delivered),
            (Delivered, 3, None, 0.5, Verdict::Delivered),
            (Permanent, 1, None, 0.5, Verdict::Dead),
            (Gone, 1, None, 0.5, Verdict::Gone),
            // Full jitter under base · 2^(n-1): 1 s, then 2 s, ...
            (Retry, 1, None, 0.5, Verdict::Retry(1500)),
            (Retry, 2, None, 0.5, Verdict::Retry(2000)),
            (Retry, 2, None, 0.0, Verdict::Retry(1000)),
            // Retry-After is honoured when longer than the jitter, even
            // beyond the backoff cap: the target knows when it is back.
            (Retry, 1, Some(5 * S), 0.5, Verdict::Retry(6000)),
            (Retry, 1, Some(60 * S), 0.5, Verdict::Retry(61_000)),
            (Retry, 2, Some(Duration::from_millis(100)), 0.5, Verdict::Retry(2000)),
            // The budget: the third attempt is the last.
            (Retry, 3, None, 0.5, Verdict::Dead),
            (Retry, 4, Some(S), 0.5, Verdict::Dead),
        ];
        for &(outcome, attempts, retry_after, unit, expected) in table {
            assert_eq!(
                policy().verdict(outcome, attempts, retry_after, 1000, unit),
                expected,
                "{outcome:?}, attempt {attempts}, Retry-After {retry_after:?}"
            );
        }
    }

    #[test]
    fn backoff_is_full_jitter_under_a_growing_capped_ceiling() {
        let (base, cap) = (Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(backoff(1, base, cap, 0.999_999).as_millis(), 99);
        assert_eq!(backoff(2, base, cap, 0.5).as_millis(), 100);
        assert_eq!(backoff(4, base, cap, 0.5).as_millis(), 400);
        assert_eq!(backoff(10, base, cap, 0.5).as_millis(), 500);
        assert_eq!(backoff(u32::MAX, base, cap, 1.0), cap);
        assert_eq!(backoff(3, base, cap, 0.0), Duration::ZERO);
    }

    #[test]
    fn what_counts_against_the_circuit() {
        let table: &[(Verdict, Option<u16>, bool)] = &[
            (Verdict::Retry(0), Some(503), true),
            (Verdict::Retry(0), None, true),
            (Verdict::Dead, None, true),
            (Verdict::Dead, Some(500), true),
            (Verdict::Dead, Some(400), false),
            (Verdict::Delivered, Some(200), false),
            (Verdict::Gone, Some(410), false),
        ];
        for &(verdict, status, failure) in table {
            assert_eq!(is_circuit_failure(verdict, status), failure, "{verdict:?} {status:?}");
        }
    }

    #[test]
    fn the_circuit_opens_after_consecutive_failures_and_probes_once() {
        let policy = CircuitPolicy { failures: 3, cooldown: Duration::from_secs(30) };
        let mut c = Circuit::closed();
        // (failure?, at ms) -> state at that time, allowance with nothing in flight
        let steps: &[(bool, i64, CircuitState, u32)] = &[
            (true, 0, CircuitState::Closed, u32::MAX),
            (true, 1, CircuitState::Closed, u32::MAX),
            (true, 2, CircuitState::Open, 0),
            // A success in between would have closed it; here the cool-down
            // ends at 30,002: one probe, which fails and opens it again.
            (true, 30_002, CircuitState::Open, 0),
            // The next probe succeeds and closes it.
            (false, 60_002, CircuitState::Closed, u32::MAX),
            (true, 60_003, CircuitState::Closed, u32::MAX),
            (false, 60_004, CircuitState::Closed, u32::MAX),
        ];
        for (i, &(failure, at, state, allowance)) in steps.iter().enumerate() {
            c.record(failure, &policy, at);
            assert_eq!(c.state_at(at), state, "step {i}");
            assert_eq!(c.allowance(0, at), allowance, "step {i}");
        }
        // Half open: one probe at a time.
        let mut open = Circuit::closed();
        for at in 0..3 {
            open.record(true, &policy, at);
        }
        assert_eq!(open.state_at(29_999), CircuitState::Open);
        assert_eq!(open.state_at(30_002), CircuitState::HalfOpen);
        assert_eq!(open.allowance(0, 30_002), 1);
        assert_eq!(open.allowance(1, 30_002), 0);
    }
}

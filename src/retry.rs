//! When a failed call is sent again, and how long the client waits first.
//!
//! The rule that matters most: Lumin has no idempotency key, so a request that may have
//! reached Lumin is sent again only when the operation is safe to repeat (see
//! [`Operation::retry_safe`](crate::operation::Operation::retry_safe), read from the spec).
//!
//! | failure | safe operation | unsafe operation (`send_signature_request`, …) |
//! |---|---|---|
//! | `429 Too Many Requests` | retried | retried (Lumin did not act) |
//! | `502`, `503`, `504` | retried | [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) |
//! | connection failed before the request was written | retried | retried |
//! | timeout, connection lost after sending, other `5xx` | returned | [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) |
//! | `4xx` other than `429`, a body that does not decode | returned | returned |
//!
//! Waits grow exponentially from [`RetryPolicy::base`] up to [`RetryPolicy::cap`], with
//! full jitter; a `Retry-After` header (seconds or an HTTP date) is honoured up to
//! [`RetryPolicy::max_retry_after`], beyond which the error is returned with the wait
//! ([`Error::retry_after`](crate::Error::retry_after)). Waiting goes through the client's
//! injected [`Sleep`](crate::clock::Sleep).

use std::time::Duration;

/// How a client retries failed calls. On by default: 3 attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base: Duration,
    cap: Duration,
    max_retry_after: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base: Duration::from_millis(200),
            cap: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The default policy: 3 attempts, waits from 200 ms up to 10 s with full jitter,
    /// `Retry-After` honoured up to 60 s.
    pub fn new() -> Self {
        Self::default()
    }

    /// No retries: every call is sent once.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Attempts in all, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the second attempt, doubled for each later one.
    pub fn base(mut self, base: Duration) -> Self {
        self.base = base;
        self
    }

    /// The longest computed wait.
    pub fn cap(mut self, cap: Duration) -> Self {
        self.cap = cap;
        self
    }

    /// The longest `Retry-After` the client waits for; a longer one returns the error.
    pub fn max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// Whether waits are drawn at random below the computed bound (full jitter, the
    /// default) or are the bound itself.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// Attempts in all.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The longest `Retry-After` honoured.
    pub fn retry_after_limit(&self) -> Duration {
        self.max_retry_after
    }

    /// The wait after failed attempt number `attempt` (1-based), without `Retry-After`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
        let bound = exp.min(self.cap);
        if self.jitter {
            bound.mul_f64(fastrand::f64())
        } else {
            bound
        }
    }
}

/// Reads a `Retry-After` value: delta-seconds, or an HTTP date measured from `now_millis`.
pub(crate) fn parse_retry_after(value: &str, now_millis: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let at_millis = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    let at_millis = i64::try_from(at_millis).ok()?;
    Some(Duration::from_millis(
        u64::try_from(at_millis.saturating_sub(now_millis)).unwrap_or(0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let policy = RetryPolicy::new()
            .base(Duration::from_millis(100))
            .cap(Duration::from_millis(350))
            .jitter(false);
        let waits: Vec<u128> = (1..=4).map(|a| policy.backoff(a).as_millis()).collect();
        assert_eq!(waits, [100, 200, 350, 350]);
    }

    #[test]
    fn full_jitter_stays_below_the_bound() {
        let policy = RetryPolicy::new().base(Duration::from_millis(100));
        for _ in 0..100 {
            assert!(policy.backoff(2) <= Duration::from_millis(200));
        }
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        assert_eq!(parse_retry_after("2", 0), Some(Duration::from_secs(2)));
        // 1994-11-06T08:49:37Z is 784111777 s after the epoch.
        let now = 784_111_777_000 - 5_000;
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 10_000),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
    }
}

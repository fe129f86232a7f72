//! The crate's one source of the current time.
//!
//! Everything that compares against "now" (signature request due dates, signed URL and
//! session expiry, OAuth token lifetimes, webhook freshness) takes a [`Clock`], so that
//! tests can pin time with [`FixedClock`] instead of sleeping. Nothing else in the crate
//! reads the system time; `clippy.toml` bans `SystemTime::now` outside this module.
//!
//! Waiting is injected the same way: everything that waits (retry backoff, refresh
//! backoff) goes through a [`Sleep`], so tests use [`RecordingSleep`] and never wait.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::auth::BoxFuture;
use crate::time::{Millis, Timestamp};

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp<Millis>;
}

/// A shared, cloneable clock handle, as stored by clients and token sources.
pub type SharedClock = Arc<dyn Clock>;

/// The wall clock of the machine.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one permitted read of the system time
    fn now(&self) -> Timestamp<Millis> {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        Timestamp::from_unix_millis(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that stands still until it is moved: for tests and simulations.
///
/// Clones share the same time, so a test can hand one clone to a client and advance
/// the other.
#[derive(Debug, Clone)]
pub struct FixedClock {
    millis: Arc<AtomicI64>,
}

impl FixedClock {
    /// A clock that reads `now` until it is set or advanced.
    pub fn new(now: Timestamp<Millis>) -> Self {
        Self {
            millis: Arc::new(AtomicI64::new(now.unix_millis())),
        }
    }

    /// A clock at `millis` milliseconds after the Unix epoch.
    pub fn at_unix_millis(millis: i64) -> Self {
        Self::new(Timestamp::from_unix_millis(millis))
    }

    /// Sets the current time.
    pub fn set(&self, now: Timestamp<Millis>) {
        self.millis.store(now.unix_millis(), Ordering::SeqCst);
    }

    /// Moves the clock forward by `by` (saturating).
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        let _ = self
            .millis
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |m| {
                Some(m.saturating_add(by))
            });
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp<Millis> {
        Timestamp::from_unix_millis(self.millis.load(Ordering::SeqCst))
    }
}

/// Waits for a while: the crate's one way to pause, injected like the [`Clock`].
pub trait Sleep: Send + Sync + fmt::Debug {
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// A shared, cloneable sleep handle, as stored by clients and sessions.
pub type SharedSleep = Arc<dyn Sleep>;

/// Sleeps on the tokio timer (the default).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleep;

impl Sleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A sleep that returns at once and records every requested duration; when given a
/// [`FixedClock`], it advances that clock by each duration, so time still moves.
#[derive(Debug, Clone, Default)]
pub struct RecordingSleep {
    slept: Arc<Mutex<Vec<Duration>>>,
    clock: Option<FixedClock>,
}

impl RecordingSleep {
    /// A sleep that only records.
    pub fn new() -> Self {
        Self::default()
    }

    /// A sleep that records and advances `clock` by each duration.
    pub fn advancing(clock: FixedClock) -> Self {
        Self {
            slept: Arc::default(),
            clock: Some(clock),
        }
    }

    /// Every duration slept so far, in order.
    pub fn slept(&self) -> Vec<Duration> {
        self.slept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Sleep for RecordingSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.slept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(duration);
        if let Some(clock) = &self.clock {
            clock.advance(duration);
        }
        Box::pin(std::future::ready(()))
    }
}

/// Measures elapsed time for tracing (a monotonic clock, never compared with "now").
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stopwatch(std::time::Instant);

impl Stopwatch {
    #[allow(clippy::disallowed_methods)] // the one permitted read of the monotonic clock
    pub(crate) fn start() -> Self {
        Self(std::time::Instant::now())
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.0.elapsed()
    }
}

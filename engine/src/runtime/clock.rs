//! Time as a port (core decision 5). The runtime reads time only through a [`Clock`]; this is the one
//! file of `runtime/` allowed to read the system's.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (negative before it). Integer, so that time compares and
/// serializes exactly everywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub const EPOCH: Timestamp = Timestamp(0);

    pub const fn from_millis(millis: i64) -> Timestamp {
        Timestamp(millis)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// This time plus `millis`, saturating at the end of representable time.
    pub const fn plus_millis(self, millis: u64) -> Timestamp {
        let millis = if millis > i64::MAX as u64 { i64::MAX } else { millis as i64 };
        Timestamp(self.0.saturating_add(millis))
    }

    /// This time plus a duration (whole milliseconds; less is dropped), saturating.
    pub fn plus(self, d: Duration) -> Timestamp {
        self.plus_millis(duration_millis(d))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

fn duration_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Where an instance learns the time.
pub trait Clock {
    fn now(&self) -> Timestamp;
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Timestamp {
        (**self).now()
    }
}

/// A clock that moves only when told: the REPL, run-in-place, scenarios and tests. Advance it, then
/// [`super::Instance::run`] the instance: the timers due in between fire in due order (ties in creation
/// order), each at its own time, as if the clock had moved through them one by one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VirtualClock {
    now: Timestamp,
}

impl VirtualClock {
    pub fn new(start: Timestamp) -> VirtualClock {
        VirtualClock { now: start }
    }

    /// The clock's time (also [`Clock::now`]).
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Moves the clock forward.
    pub fn advance(&mut self, by: Duration) {
        self.advance_millis(duration_millis(by));
    }

    pub fn advance_millis(&mut self, millis: u64) {
        self.now = self.now.plus_millis(millis);
    }

    /// Moves the clock to `to`, if that is later; a clock never goes back.
    pub fn advance_to(&mut self, to: Timestamp) {
        self.now = self.now.max(to);
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> Timestamp {
        self.now
    }
}

/// The real clock, for `serve`. The only reader of the system time in the runtime.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(after) => Timestamp(i64::try_from(after.as_millis()).unwrap_or(i64::MAX)),
            Err(before) => Timestamp(-i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_moves_only_forward() {
        let mut c = VirtualClock::new(Timestamp(1_000));
        assert_eq!(c.now(), Timestamp(1_000));
        c.advance(Duration::from_millis(1_500));
        assert_eq!(c.now(), Timestamp(2_500));
        c.advance_to(Timestamp(2_000));
        assert_eq!(c.now(), Timestamp(2_500));
        c.advance_millis(u64::MAX);
        assert_eq!(c.now(), Timestamp(i64::MAX));
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now() > Timestamp(1_577_836_800_000));
    }
}

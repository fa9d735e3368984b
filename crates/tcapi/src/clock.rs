//! The injectable local [`Clock`] (Unix seconds) the client signs with.

use std::fmt;
use std::sync::Arc;

/// The local clock, in Unix seconds. Injectable so tests control time.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// A clock from a function returning Unix seconds.
    pub fn new(f: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(f))
    }
    /// The system clock.
    pub fn system() -> Self {
        Clock::new(|| chrono::Utc::now().timestamp())
    }
    /// A clock stopped at `unix_secs`.
    pub fn fixed(unix_secs: i64) -> Self {
        Clock::new(move || unix_secs)
    }
    /// Unix seconds now.
    pub fn now(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock(..)")
    }
}

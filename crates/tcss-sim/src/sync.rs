//! The simulator's one lock helper.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`, recovering the data if a holder panicked: every critical
/// section of the simulator leaves its data whole at each step (a counter
/// map, a store of issued credentials), so a poisoned lock still holds
/// valid data, and one panicking request must not fail every later one.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

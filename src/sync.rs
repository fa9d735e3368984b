//! Small synchronization helpers shared by the runner's modules.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex whose data stays valid if a holder panicked: the runner's
/// mutexes guard plain bookkeeping (pacing state, the last error seen), never
/// an invariant a panic could leave half-updated, so a poisoned lock is
/// recovered rather than turned into a second panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_recovered() {
        let m = Mutex::new(1);
        let _ = std::panic::catch_unwind(|| {
            let _g = m.lock().unwrap();
            panic!("holder panics");
        });
        assert!(m.is_poisoned());
        *lock(&m) += 1;
        assert_eq!(*lock(&m), 2);
    }
}

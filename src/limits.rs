//! The process's open-file limit, and the concurrency that fits in it.
//!
//! Every request in flight holds a socket, the connection pool keeps idle
//! ones per host (TCSS and STS), the in-process simulator of `--simulate`
//! holds the other end of each, and writing the reports needs a few files
//! more. A soft `RLIMIT_NOFILE` of 256 or 1,024 (common defaults) is far
//! too low for the documented concurrency of up to 4,096, and a run that
//! ran out of descriptors used to lose its reports. So a run raises the soft
//! limit to the hard one at start, and if even that is too low, lowers the
//! concurrency to what fits and says so once.

/// Descriptors kept free for everything but sockets: stdio, the runtime,
/// the config and credential files, the reports and their temporary files.
pub const RESERVED_FDS: u64 = 128;

/// Sockets one unit of concurrency may hold: one in flight or idle per
/// endpoint host (TCSS and STS), doubled when the simulator in the same
/// process holds the server side.
pub fn fds_per_request(simulated: bool) -> u64 {
    if simulated {
        4
    } else {
        2
    }
}

/// The largest concurrency, at most `requested`, whose sockets fit in `limit`
/// open files next to [`RESERVED_FDS`]; at least 1.
pub fn fitting_concurrency(limit: u64, requested: usize, simulated: bool) -> usize {
    let room = limit.saturating_sub(RESERVED_FDS) / fds_per_request(simulated);
    usize::try_from(room)
        .unwrap_or(usize::MAX)
        .clamp(1, requested.max(1))
}

/// Raises the soft open-file limit as far as the hard limit allows and
/// returns the soft limit now in force (`None` where the system has no such
/// limit or does not say).
pub fn raise_open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let before = rlimit::Resource::NOFILE.get().ok().map(|(soft, _)| soft);
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(now) => {
                if before.is_some_and(|b| b < now) {
                    tracing::debug!(before, now, "raised the soft open-file limit");
                }
                Some(now)
            }
            Err(e) => {
                tracing::debug!("cannot raise the open-file limit: {e}");
                before
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The concurrency to run with: `requested`, or less when even the raised
/// open-file limit cannot hold its sockets (logged once, with the fix).
pub fn concurrency_for_limit(requested: usize, simulated: bool) -> usize {
    let Some(limit) = raise_open_file_limit() else {
        return requested;
    };
    let fits = fitting_concurrency(limit, requested, simulated);
    if fits < requested {
        tracing::warn!(
            "concurrency lowered from {requested} to {fits}: the open-file limit is {limit} \
             (hard limit included) and each request may hold {} sockets; raise it \
             (`ulimit -n`, or LimitNOFILE= in a systemd unit) to run at {requested}",
            fds_per_request(simulated)
        );
    }
    fits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_fits_the_limit() {
        assert_eq!(fitting_concurrency(20_000, 4096, false), 4096);
        assert_eq!(fitting_concurrency(1024, 4096, false), (1024 - 128) / 2);
        assert_eq!(fitting_concurrency(256, 900, true), (256 - 128) / 4);
        assert_eq!(fitting_concurrency(100, 64, false), 1, "never below 1");
        assert_eq!(fitting_concurrency(u64::MAX, 64, true), 64);
    }
}

//! The process's heap as jemalloc (the binary's allocator) counts it: what the program holds, and
//! what the allocator keeps resident for it. Their difference is memory freed but not yet given
//! back to the system (jemalloc's background threads purge it after its decay time).

/// Bytes the program has allocated and not freed, and bytes the allocator keeps resident
/// (`stats.allocated`, `stats.resident`). `None` where jemalloc is not the allocator in use or
/// keeps no statistics.
#[must_use]
pub fn heap_bytes() -> Option<(u64, u64)> {
    // The statistics are a snapshot taken when the epoch advances.
    tikv_jemalloc_ctl::epoch::advance().ok()?;
    let allocated = tikv_jemalloc_ctl::stats::allocated::read().ok()?;
    let resident = tikv_jemalloc_ctl::stats::resident::read().ok()?;
    (resident > 0).then(|| (to_u64(allocated), to_u64(resident)))
}

fn to_u64(bytes: usize) -> u64 {
    u64::try_from(bytes).unwrap_or(u64::MAX)
}

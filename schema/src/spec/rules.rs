//! Small rule helpers shared by service kinds.

use super::quantity::Quantity;
use super::service::Context;
use crate::problem::Problems;

const GIB: i128 = 1 << 30;

/// The smallest JVM heap or cache size accepted: the catalog renders sizes in whole MiB (a size
/// under 1 MiB would render as `-Xmx0m`), and no server of the catalog starts in less.
const MIN_MEMORY_SIZE: i128 = 64 << 20;

/// Checks a JVM or cache size: parses, is at least 64 MiB, at most `max_bytes`, and below the
/// member's memory (limit, else request) when one is set.
pub(crate) fn check_memory_size(
    ctx: &Context<'_>,
    out: &mut Problems,
    field: &str,
    size: &Quantity,
    max_bytes: i128,
) {
    let bytes = match size.units() {
        Ok(bytes) => bytes,
        Err(e) => return out.add(field, e.to_string(), "write a size such as 512Mi or 8Gi"),
    };
    if bytes < MIN_MEMORY_SIZE {
        return out.add(
            field,
            format!("{size} is less than the minimum of 64Mi"),
            "write a size such as 512Mi or 8Gi; a plain number means bytes",
        );
    }
    if bytes > max_bytes {
        out.add(
            field,
            format!(
                "{size} is more than the maximum of {}",
                format_bytes(max_bytes)
            ),
            "lower it",
        );
    }
    if let Some(memory) = ctx.resources.memory_ceiling()
        && let Ok(memory_bytes) = memory.units()
        && bytes >= memory_bytes
    {
        out.add(
            field,
            format!("{size} does not fit in the member's memory ({memory})"),
            "raise spec.resources.limits.memory or lower this size",
        );
    }
}

/// Formats bytes as GiB or MiB for messages.
pub(crate) fn format_bytes(bytes: i128) -> String {
    if bytes % GIB == 0 {
        format!("{}Gi", bytes / GIB)
    } else {
        format!("{}Mi", bytes / (1 << 20))
    }
}

/// `n GiB` in bytes.
pub(crate) const fn gib(n: i128) -> i128 {
    n * GIB
}

/// Checks that a count is odd.
pub(crate) fn check_odd(out: &mut Problems, field: &str, value: u32, why: &str) {
    if value.is_multiple_of(2) {
        out.add(field, format!("must be odd, got {value}"), why);
    }
}

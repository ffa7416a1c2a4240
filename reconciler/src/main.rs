//! The `firecamp` command.

use std::process::ExitCode;

/// jemalloc with its background threads gives freed pages back to the system while the loop
/// idles between ticks (the system allocator kept a full tick's peak resident; mimalloc only
/// purges on the thread that allocated, and slowly grew while idle).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    // Without background threads, memory freed by a tick is only purged by later allocations.
    let _ = tikv_jemalloc_ctl::background_thread::write(true);
    firecamp::cli::main()
}

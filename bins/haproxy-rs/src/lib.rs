//! The `haproxy-rs` engine as a library: [`proxy`] runs listeners, TCP and
//! HTTP proxying, balancing and limits from a resolved runtime configuration.

pub mod ops;
pub mod proxy;

/// The process allocator: a proxy allocates and frees small objects (header
/// maps, tasks, buffers) for every request, where mimalloc costs less CPU
/// than the system allocator. Declared here so that the daemon and the
/// engine's tests run on the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

//! Logs: `tracing` events to stderr, more with each `-v`.
//!
//! Nothing logged ever holds a request or response body, model output, or a token:
//! the proxy logs method, path, status, duration, the TEE id and error categories.

use tracing::level_filters::LevelFilter;

/// The level for a `-v` count: warnings by default, then info, debug, trace.
pub fn level(verbosity: u8) -> LevelFilter {
    match verbosity {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// Installs the stderr subscriber for a `-v` count (once; later calls do nothing).
pub fn init(verbosity: u8) {
    init_level(level(verbosity));
}

/// Installs the stderr subscriber at `level` (once; later calls do nothing).
pub fn init_level(level: LevelFilter) {
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

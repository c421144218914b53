//! `-v`, `-vv` and `RUST_LOG`: a `tracing` subscriber that writes to stderr through the
//! command line's one redacting writer ([`output::write_stderr`]), one event at a time, so
//! that no log line can show the API secret or a token, whatever a server echoed.
//!
//! Without `-v` and without `RUST_LOG` nothing is logged, so that stderr holds only the
//! failure (one JSON object under `--json`). `RUST_LOG` takes `target=level` directives
//! separated by commas and a bare default level (`cryptopocket=debug,warn`).

use std::io;

use tracing_subscriber::{
    filter::{LevelFilter, Targets},
    fmt::MakeWriter,
    layer::SubscriberExt as _,
    util::SubscriberInitExt as _,
};

use crate::output;

/// One log event, written redacted when the formatter is done with it.
pub struct EventWriter(Vec<u8>);

impl io::Write for EventWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        if !self.0.is_empty() {
            output::write_stderr(&String::from_utf8_lossy(&self.0));
        }
    }
}

/// Makes an [`EventWriter`] per event.
struct Redacted;

impl<'a> MakeWriter<'a> for Redacted {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> Self::Writer {
        EventWriter(Vec::new())
    }
}

/// The filter for `-v` repeated `verbose` times: the crates of this workspace at info (-v),
/// debug (-vv) or trace (-vvv), everything else at warn (-v, -vv) or trace (-vvv).
fn for_verbosity(verbose: u8) -> Targets {
    let (ours, others) = match verbose {
        0 => (LevelFilter::OFF, LevelFilter::OFF),
        1 => (LevelFilter::INFO, LevelFilter::WARN),
        2 => (LevelFilter::DEBUG, LevelFilter::WARN),
        _ => (LevelFilter::TRACE, LevelFilter::TRACE),
    };
    Targets::new()
        .with_target("cryptopocket", ours)
        .with_default(others)
}

/// Installs the subscriber when `-v` was given or `RUST_LOG` is set (which wins). A
/// `RUST_LOG` that cannot be read is said once, and `-v`'s filter is used.
pub fn init(verbose: u8) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|spec| !spec.trim().is_empty());
    let filter = match from_env {
        Some(spec) => match spec.parse::<Targets>() {
            Ok(filter) => filter,
            Err(e) => {
                output::write_stderr(&format!(
                    "warning: RUST_LOG is not understood ({e}); write target=level directives, \
                     like cryptopocket=debug\n"
                ));
                for_verbosity(verbose)
            }
        },
        None if verbose == 0 => return,
        None => for_verbosity(verbose),
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(Redacted)
        .with_target(true);
    let _ = tracing_subscriber::registry()
        .with(layer)
        .with(filter)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_raises_our_crates_first() {
        use tracing_subscriber::filter::LevelFilter as L;
        let one = for_verbosity(1);
        assert!(one.would_enable("cryptopocket::call", &tracing::Level::INFO));
        assert!(!one.would_enable("cryptopocket::call", &tracing::Level::DEBUG));
        assert!(!one.would_enable("hyper", &tracing::Level::INFO));
        let two = for_verbosity(2);
        assert!(two.would_enable("cryptopocket_api", &tracing::Level::DEBUG));
        assert_eq!(for_verbosity(0).default_level(), Some(L::OFF));
    }
}

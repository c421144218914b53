//! The accept loop: HTTP/1.1 connections served by hyper under two bounds a hostile client
//! cannot stretch, a deadline on each request head and a cap on open connections, and a
//! graceful stop.
//!
//! `axum::serve` has neither bound: a client that sends its request head one byte at a
//! time, or opens connections and says nothing, holds them (and their file descriptors)
//! for as long as it likes.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::config::Limits;

/// The bounds [`serve`] applies, as [`Limits`] gives them, brought inside what hyper and
/// Tokio accept: a zero or absurd timeout, or a cap of zero or beyond a semaphore's range,
/// would otherwise panic or stop the server from ever answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bounds {
    pub(crate) max_connections: usize,
    pub(crate) header_timeout: Duration,
}

impl Bounds {
    const SHORTEST_TIMEOUT: Duration = Duration::from_millis(1);
    const LONGEST_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);

    pub(crate) fn of(limits: &Limits) -> Self {
        Bounds {
            max_connections: limits.max_connections.clamp(1, Semaphore::MAX_PERMITS),
            header_timeout: limits
                .header_timeout
                .clamp(Self::SHORTEST_TIMEOUT, Self::LONGEST_TIMEOUT),
        }
    }
}

/// Serves `app` on `listener` until `stop` completes, then stops accepting, lets every
/// open connection finish the request it is answering (an idle one closes at once), and
/// returns when they have all closed. Dropping the returned future drops every connection.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    bounds: Bounds,
    stop: impl Future<Output = ()>,
) {
    let mut http = http1::Builder::new();
    // The header deadline runs from the moment hyper starts reading a head: on a new
    // connection at once, on a keep-alive one when the previous answer is sent. A client
    // that is silent or slow in either place is disconnected.
    http.timer(TokioTimer::new())
        .header_read_timeout(bounds.header_timeout);
    let slots = Arc::new(Semaphore::new(bounds.max_connections));
    let (closing, closed) = watch::channel(());
    let mut connections = JoinSet::new();
    let mut stop = pin!(stop);
    loop {
        // A slot first: past the cap, the next connection waits in the kernel's listen
        // queue, unaccepted and costing no descriptor, until a served one closes.
        let slot = tokio::select! {
            () = &mut stop => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                // Never closed; were it, there would be nothing left to serve with.
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut stop => break,
            stream = accept(&listener) => stream,
        };
        // Finished connections leave their result behind; collect them as we go.
        while connections.try_join_next().is_some() {}
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let mut closed = closed.clone();
        connections.spawn(async move {
            {
                let mut connection = pin!(connection);
                tokio::select! {
                    result = connection.as_mut() => log(result),
                    _ = closed.changed() => {
                        connection.as_mut().graceful_shutdown();
                        log(connection.await);
                    }
                }
                // The socket is closed here, as the connection goes out of scope ...
            }
            // ... and only then is its slot free.
            drop(slot);
        });
    }
    drop(listener);
    closing.send_replace(());
    while connections.join_next().await.is_some() {}
}

/// The next connection. Errors that concern one connection are skipped; others (out of
/// file descriptors, say) are logged and retried after a pause rather than spun on.
async fn accept(listener: &TcpListener) -> TcpStream {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                // Answers are small and written whole; do not hold them back.
                stream.set_nodelay(true).ok();
                return stream;
            }
            Err(e) if is_connection_error(&e) => {}
            Err(e) => {
                tracing::error!(error = %e, "the sandbox cannot accept a connection; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

fn log(result: Result<(), hyper::Error>) {
    if let Err(e) = result {
        // A client that goes away or is too slow is routine for a server.
        tracing::debug!(error = %e, "a connection ended with an error");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_stay_inside_what_hyper_and_tokio_accept() {
        let limits = Limits {
            max_connections: 0,
            header_timeout: Duration::ZERO,
            ..Limits::default()
        };
        assert_eq!(
            Bounds::of(&limits),
            Bounds {
                max_connections: 1,
                header_timeout: Duration::from_millis(1)
            }
        );
        let limits = Limits {
            max_connections: usize::MAX,
            header_timeout: Duration::MAX,
            ..Limits::default()
        };
        let bounds = Bounds::of(&limits);
        assert_eq!(bounds.max_connections, Semaphore::MAX_PERMITS);
        assert_eq!(bounds.header_timeout, Duration::from_secs(24 * 60 * 60));
        // Neither panics where it is used.
        let semaphore = Semaphore::new(bounds.max_connections);
        assert_eq!(semaphore.available_permits(), Semaphore::MAX_PERMITS);
        assert!(
            std::time::Instant::now()
                .checked_add(bounds.header_timeout)
                .is_some()
        );
        assert_eq!(
            Bounds::of(&Limits::default()),
            Bounds {
                max_connections: 1024,
                header_timeout: Duration::from_secs(10)
            }
        );
    }
}

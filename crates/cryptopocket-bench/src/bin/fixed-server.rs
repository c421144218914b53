//! The fixed-bytes server in a process of its own, for `scripts/callgrind.sh`: callgrind then
//! counts the client's instructions only. Prints `http://127.0.0.1:PORT/api` on its first
//! line and serves until killed.
//!
//! `fixed-server [ROWS]`: list pages hold ROWS rows (1,000 by default).

use std::io::Write as _;

use cryptopocket_bench::{FixedServer, Routes};

fn main() {
    let rows = std::env::args()
        .nth(1)
        .map_or(1000, |n| n.parse().expect("ROWS is a number"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let addr = listener.local_addr().expect("an address");
        let mut out = std::io::stdout();
        writeln!(out, "http://{addr}/api").expect("stdout");
        out.flush().expect("stdout");
        FixedServer::run(listener, Routes::documented(rows)).await;
    });
}

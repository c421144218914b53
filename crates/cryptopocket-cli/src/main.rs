//! `cryptopocket`: every CryptoPocket API operation from a shell, built on the `cryptopocket`
//! crate (which does all the HTTP).
//!
//! Exit codes: 0 success, 1 the API refused (or a webhook delivery was rejected), 2 usage or
//! configuration, 3 transport, timeout or an answer that could not be read. See `exit.rs`.
//!
//! Everything printed passes through `output::redact` (see `output.rs`).
//!
//! ---
//!
//! The guide below is the crate's README.
#![doc = include_str!("../README.md")]

mod args;
mod client;
mod commands;
mod exit;
mod files;
mod logging;
mod output;
mod views;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = args::parse();
    let json = cli.global.json;
    logging::init(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return exit::Failure::usage(format!("cannot start the async runtime: {e}"))
                .report(json);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(json),
    }
}

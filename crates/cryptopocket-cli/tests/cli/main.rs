//! The `cryptopocket` binary, run as a user would: offline checks (usage, credentials,
//! transport, completions, webhooks), every subcommand against an in-process sandbox, and
//! canned loopback servers that answer badly (`faults`) or with statuses the sandbox never
//! produces (`watch`).

mod capture;
mod faults;
mod offline;
mod sandbox;
mod support;
mod watch;
mod webhooks;

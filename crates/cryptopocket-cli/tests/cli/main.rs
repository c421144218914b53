//! The `cryptopocket` binary, run as a user would: offline checks (usage, credentials,
//! transport, completions, webhooks) and every subcommand against an in-process sandbox.

mod offline;
mod sandbox;
mod support;
mod webhooks;

//! The `cryptopocket` binary, run as a user would: offline checks (usage, credentials,
//! transport, completions, webhooks), every subcommand against an in-process sandbox, and
//! canned loopback servers that answer badly (`faults`) or with statuses the sandbox never
//! produces (`watch`); global options, `--json` errors, tables, durations, the sandbox
//! control commands and webhook drills, `-v` logging and `cryptopocket api`, a module each.

mod api;
mod capture;
mod columns;
mod control;
mod drills;
mod durations;
mod faults;
mod global;
mod hostile;
mod hostile2;
mod json_errors;
mod offline;
mod sandbox;
mod support;
mod tables;
mod verbose;
mod watch;
mod webhooks;

//! The crate's behaviour tests, in one binary so that the workspace links the dependency tree
//! once per crate rather than once per file: loopback mock-server tests of faults and
//! payloads (`wiremock`, and a raw socket server for byte-level faults), and flows and error
//! codes against the local sandbox.

#[macro_use]
mod support;

mod api_errors;
mod authentication;
mod capture;
mod configuration;
mod fetch_ahead;
mod find_by_external_id;
mod hooks;
mod hostile;
mod offramp_and_customers;
mod payments;
mod per_call;
mod raw_server;
mod representations;
mod retries;
mod sandbox_errors;
mod sandbox_flows;
mod secrets;
mod watch;
mod webhooks;

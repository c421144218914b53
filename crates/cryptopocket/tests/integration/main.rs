//! The crate's behaviour tests, in one binary so that the workspace links the dependency tree
//! once per crate rather than once per file: loopback mock-server tests of faults and
//! payloads, and flows and error codes against the local sandbox.

mod capture;
mod client;
mod extensions;
mod hostile;
mod offramp_and_customers;
mod payments;
mod representations;
mod sandbox_errors;
mod sandbox_flows;
mod support;
mod webhooks;

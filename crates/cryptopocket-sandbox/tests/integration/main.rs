//! The sandbox's behaviour tests over real HTTP, in one binary so that the dependency tree is
//! linked once: malformed and hostile input, slow and surplus connections, floods, isolation
//! between sandboxes, webhook deliveries, and the drills for a receiver (redelivery, deliver
//! twice, several subscriber URLs), and `RemoteControl` against a sandbox and against
//! servers that are not one.

mod connections;
mod drills;
mod flood;
mod hostile;
mod isolation;
mod remote;
mod robustness;
mod routes;
mod standalone;
mod support;
mod webhooks;

//! The spec held to everything that depends on it, in one binary so that the dependency tree
//! is linked once: the generated types' schemas as insta snapshots, the documented payloads,
//! the README's operations table, the open enums' known values, and the local sandbox's
//! answers.

mod known_values;
mod payloads;
mod readme;
mod sandbox_conformance;
mod schemas;

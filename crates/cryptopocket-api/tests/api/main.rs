//! The generated crate's tests, in one binary: the generated client over loopback, and the
//! hand-written exact `Amount` its amounts are generated as.

mod amount;
mod loopback;

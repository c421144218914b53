//! The generated crate's tests, in one binary: the generated client over loopback (also
//! with an exchange observer), how it reads bodies and writes path parameters, and the
//! hand-written exact `Amount` its amounts are generated as, and the tolerant `Int`,
//! `Timestamp` and `Id` with the operation table.

mod amount;
mod decode;
mod loopback;
mod observe;
mod tolerant;

//! Money, identifiers, statuses and error codes.
//!
//! # Amounts
//!
//! The API writes money in three different units, sometimes for the same
//! field name on different endpoints:
//!
//! - **major units** as JSON numbers: `fiat_amount` in create requests
//!   (`240` = 240 EUR) and `coin_amount` in Retrieve payment (`148.32`);
//! - **cents** as JSON integers: `fiat_amount` in Retrieve payment
//!   (`15050` = 150.50 EUR);
//! - **token base units** as a string of digits with a separate `decimals`
//!   (`"20000000000000000000"` with `18` = 20 tokens), and plain decimal
//!   strings (`"4800.24"`) in Get rampoff status.
//!
//! The functions in [`money`] turn each of these into a
//! [`rust_decimal::Decimal`] in the unit a person means, so callers compare
//! and add like with like. `Decimal` rather than `f64` because money must
//! not pick up binary rounding (`148.32` is not representable as a float),
//! and base-unit amounts exceed `u64`; every conversion that cannot be exact
//! fails with [`AmountError`] instead of rounding.
//!
//! # Open enums
//!
//! Statuses, event types, payment methods and error codes are enums with a
//! fallback variant holding any word this crate does not know yet, because
//! the vendor documents these lists as examples rather than as closed sets;
//! a new word must not make a whole response undecodable.

pub(crate) mod open_enum;

/// The setters of a request builder's optional fields, each storing `Some(value)` in the field
/// of its name: `name(impl Into<T>)` takes anything that converts into `T`, `name(T)` a `T`.
///
/// ```text
/// impl NewPayment {
///     crate::model::setters! {
///         /// The token's chain.
///         coin_chain(impl Into<String>);
///         /// How the customer pays.
///         payment_type(PaymentType);
///     }
/// }
/// ```
macro_rules! setters {
    () => {};
    ($(#[$doc:meta])* $name:ident(impl Into<$ty:ty>); $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $name(mut self, $name: impl Into<$ty>) -> Self {
            self.$name = Some($name.into());
            self
        }
        $crate::model::setters!($($rest)*);
    };
    ($(#[$doc:meta])* $name:ident($ty:ty); $($rest:tt)*) => {
        $(#[$doc])*
        pub fn $name(mut self, $name: $ty) -> Self {
            self.$name = Some($name);
            self
        }
        $crate::model::setters!($($rest)*);
    };
}
pub(crate) use setters;

mod document;
mod error_code;
mod ids;
pub mod money;
mod status;

pub use document::{DocumentType, IdentityDocumentType, UnknownValue};
pub use error_code::ApiErrorCode;
pub use ids::{Iban, IdError, OffRampId, PaymentId, TransactionId, UserId};
pub use money::AmountError;
pub use status::{
    CustomerKind, EventType, KycStatus, OffRampStatus, PaymentStatus, PaymentType,
    TransactionDirection,
};

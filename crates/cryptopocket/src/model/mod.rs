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

/// A request input: a `#[non_exhaustive]` struct with private fields that, with the `clap`
/// feature, derives `clap::Args` so a command line can flatten it, and the conversion to what
/// is sent. Each field is the flag `--field-name` (`arg(long)`, its doc comment the help)
/// unless it says otherwise: with `#[arg(…)]` (written out whole) or `#[flatten]` (another
/// input's flags).
///
/// An optional `pub fn new(…);` after the struct declares the constructor: its parameters
/// are the required fields, by name, each converted with `Into`; every `Option` field starts
/// as `None`. An optional `setters { … }` block declares the optional fields' setters, in
/// the syntax of [`setters!`].
///
/// A last, optional `fn to_api() -> T;` line derives the crate-private `to_api(&self) ->
/// Result<T, Error>` that is sent: each field is checked and converted in declaration order,
/// so the first field refused is the first one declared, with
/// [`ToApi`](crate::convert::ToApi), chosen by the field's type and `T`'s (a text must not be
/// blank, a spec-constrained text must pass its generated type's check, an amount becomes the
/// generated `Amount`, …), and every error names the field (the flag's id, which the command
/// line turns into a hint). What a type does not say, a field says once:
///
/// - `#[check(rule)]` (after any `#[arg]`) holds a text, or an `Option`'s text when set, to a
///   rule of [`convert::check`](crate::convert::check) (`email`, `url`, `file`, `date`)
///   instead of the plain not-blank check;
/// - `=> name` sends the field as the body's field `name`; on a `#[flatten]` field,
///   `=> (a, b, …)` sends the parts of the inner input's own `to_api` (a tuple) as the body's
///   fields `a`, `b`, ….
///
/// `T` is a generated body type, every field going to the body field of its name, followed by
/// `{ field: expression, … }` for body fields no input field gives; or a tuple, the fields in
/// order (a query's parameters, or the parts of a flattened input).
///
/// ```text
/// crate::model::input! {
///     /// A sale.
///     #[derive(Debug, Clone, PartialEq)]
///     pub struct NewSale {
///         /// Tokens to sell.
///         amount: Decimal,             // Decimal → Amount
///         /// The token, e.g. USDC.
///         symbol: String,              // refused when blank: "symbol must not be empty"
///         /// Where to send the receipt.
///         #[arg(long, value_name = "URL")]
///         #[check(url)]
///         callback_url: Option<String>, // when set, an http(s) URL
///         /// What the sale is for.
///         #[arg(long = "type")]
///         kind: SaleKind => type_,     // the body's `type`
///         // --document-type, --document-number.
///         #[flatten]
///         document: Document => (document_type, document_number),
///     }
///     /// A sale of `amount` tokens of `symbol`.
///     pub fn new(amount: Decimal, symbol: impl Into<String>, kind: SaleKind, document: Document);
///     setters {
///         /// Where to send the receipt.
///         callback_url(impl Into<String>);
///     }
///     fn to_api() -> types::CreateSaleRequest { currency: Some("EUR".to_owned()) };
/// }
/// ```
macro_rules! input {
    (
        $(#[$meta:meta])*
        pub struct $name:ident { $($fields:tt)* }
        $($(#[doc = $new_doc:literal])* pub fn new($($param:ident: $param_ty:ty),* $(,)?);)?
        $(setters { $($setters:tt)* })?
        $(fn to_api() -> $($to_api:tt)+)?
    ) => {
        crate::model::input!(@fields [$(#[$meta])* $name]
            [$([$(#[doc = $new_doc])*] [$($param: $param_ty),*])?] [$($($to_api)+)?]
            [] [] [] $($fields)*);
        $(impl $name { crate::model::setters! { $($setters)* } })?
    };
    // Each field: its struct tokens (`done`), whether it is an `Option` (`optional`, for
    // `new`), and how `to_api` converts it (`convert`: `(how field [rule] [target])`).
    (@fields $item:tt $new:tt $to_api:tt [$($done:tt)*] $optional:tt [$($convert:tt)*]
        $(#[doc = $doc:literal])* #[flatten] $field:ident: $ty:ty $(=> $target:tt)?,
        $($rest:tt)*
    ) => {
        crate::model::input!(@fields $item $new $to_api [$($done)*
            $(#[doc = $doc])* #[cfg_attr(feature = "clap", command(flatten))] $field: $ty,
        ] $optional [$($convert)* (flatten $field [] [$($target)?])] $($rest)*);
    };
    (@fields $item:tt $new:tt $to_api:tt [$($done:tt)*] [$($optional:ident)*]
        [$($convert:tt)*]
        $(#[doc = $doc:literal])* #[arg($($arg:tt)*)] $(#[check($rule:ident)])?
        $field:ident: Option<$ty:ty> $(=> $target:tt)?,
        $($rest:tt)*
    ) => {
        crate::model::input!(@fields $item $new $to_api [$($done)*
            $(#[doc = $doc])* #[cfg_attr(feature = "clap", arg($($arg)*))] $field: Option<$ty>,
        ] [$($optional)* $field] [$($convert)* (value $field [$($rule)?] [$($target)?])]
            $($rest)*);
    };
    (@fields $item:tt $new:tt $to_api:tt [$($done:tt)*] $optional:tt [$($convert:tt)*]
        $(#[doc = $doc:literal])* #[arg($($arg:tt)*)] $(#[check($rule:ident)])?
        $field:ident: $ty:ty $(=> $target:tt)?,
        $($rest:tt)*
    ) => {
        crate::model::input!(@fields $item $new $to_api [$($done)*
            $(#[doc = $doc])* #[cfg_attr(feature = "clap", arg($($arg)*))] $field: $ty,
        ] $optional [$($convert)* (value $field [$($rule)?] [$($target)?])] $($rest)*);
    };
    (@fields $item:tt $new:tt $to_api:tt [$($done:tt)*] [$($optional:ident)*]
        [$($convert:tt)*]
        $(#[doc = $doc:literal])* $(#[check($rule:ident)])?
        $field:ident: Option<$ty:ty> $(=> $target:tt)?,
        $($rest:tt)*
    ) => {
        crate::model::input!(@fields $item $new $to_api [$($done)*
            $(#[doc = $doc])* #[cfg_attr(feature = "clap", arg(long))] $field: Option<$ty>,
        ] [$($optional)* $field] [$($convert)* (value $field [$($rule)?] [$($target)?])]
            $($rest)*);
    };
    (@fields $item:tt $new:tt $to_api:tt [$($done:tt)*] $optional:tt [$($convert:tt)*]
        $(#[doc = $doc:literal])* $(#[check($rule:ident)])?
        $field:ident: $ty:ty $(=> $target:tt)?,
        $($rest:tt)*
    ) => {
        crate::model::input!(@fields $item $new $to_api [$($done)*
            $(#[doc = $doc])* #[cfg_attr(feature = "clap", arg(long))] $field: $ty,
        ] $optional [$($convert)* (value $field [$($rule)?] [$($target)?])] $($rest)*);
    };
    (@fields [$(#[$meta:meta])* $name:ident] [$($new:tt)*] $to_api:tt [$($done:tt)*]
        $optional:tt $convert:tt
    ) => {
        #[cfg_attr(feature = "clap", derive(clap::Args), command(about = None, long_about = None))]
        $(#[$meta])*
        #[non_exhaustive]
        pub struct $name { $($done)* }

        crate::model::input!(@new $name $optional $($new)*);
        crate::model::input!(@to_api $name $convert $to_api);
    };
    (@new $name:ident $optional:tt) => {};
    (@new $name:ident [$($optional:ident)*] [$($doc:tt)*] [$($param:ident: $param_ty:ty),*]) => {
        impl $name {
            $($doc)*
            #[allow(clippy::useless_conversion)]
            pub fn new($($param: $param_ty),*) -> Self {
                Self {
                    $($param: $param.into(),)*
                    $($optional: None,)*
                }
            }
        }
    };
    (@to_api $name:ident $convert:tt []) => {};
    (@to_api $name:ident [$(($how:ident $field:ident $rule:tt $target:tt))*]
        [($($part:ty),+ $(,)?);]
    ) => {
        impl $name {
            /// The parts to send, checked, in field order.
            pub(crate) fn to_api(&self) -> Result<($($part,)+), crate::Error> {
                let Self { $($field),* } = self;
                $(crate::model::input!(@convert $how $field $rule $target);)*
                Ok(crate::model::input!(@send [] [] [] $($field $target)*))
            }
        }
    };
    (@to_api $name:ident [$(($how:ident $field:ident $rule:tt $target:tt))*]
        [$($api:ident)::+ $({ $($extra:ident: $value:expr),* $(,)? })?;]
    ) => {
        impl $name {
            /// The request body, checked field by field in declaration order.
            pub(crate) fn to_api(&self) -> Result<$($api)::+, crate::Error> {
                let Self { $($field),* } = self;
                $(crate::model::input!(@convert $how $field $rule $target);)*
                Ok(crate::model::input!(@send [$($api)::+] [$($($extra: $value),*)?] []
                    $($field $target)*))
            }
        }
    };
    // One field's converted value, bound to the name it is sent as.
    (@convert value $field:ident [] [$($target:ident)?]) => {
        let crate::model::input!(@name $field $($target)?) =
            crate::convert::ToApi::to_api($field, stringify!($field))?;
    };
    (@convert value $field:ident [$rule:ident] [$($target:ident)?]) => {
        let crate::model::input!(@name $field $($target)?) = crate::convert::ToApi::to_api(
            &crate::convert::Checked($field, crate::convert::check::$rule),
            stringify!($field),
        )?;
    };
    (@convert flatten $field:ident [] [($($part:ident),+ $(,)?)]) => {
        let ($($part,)+) = $field.to_api()?;
    };
    (@name $field:ident) => { $field };
    (@name $field:ident $target:ident) => { $target };
    // The value sent: every name bound by `@convert`, as a tuple or in the body type.
    (@send $api:tt $extra:tt [$($sent:ident)*] $field:ident [] $($rest:tt)*) => {
        crate::model::input!(@send $api $extra [$($sent)* $field] $($rest)*)
    };
    (@send $api:tt $extra:tt [$($sent:ident)*] $field:ident [$target:ident] $($rest:tt)*) => {
        crate::model::input!(@send $api $extra [$($sent)* $target] $($rest)*)
    };
    (@send $api:tt $extra:tt [$($sent:ident)*] $field:ident [($($part:ident),+ $(,)?)]
        $($rest:tt)*
    ) => {
        crate::model::input!(@send $api $extra [$($sent)* $($part)+] $($rest)*)
    };
    (@send [] [] [$($sent:ident)*]) => {
        ($($sent,)*)
    };
    (@send [$($api:ident)::+] [$($extra:ident: $value:expr),*] [$($sent:ident)*]) => {
        $($api)::+ { $($sent,)* $($extra: $value,)* }
    };
}
pub(crate) use input;

/// A result: a `#[non_exhaustive]` struct with public fields, and its conversion from the
/// generated type, [`FromApi`](crate::convert::FromApi) (a crate-private trait, not `From`,
/// so the generated type stays out of the public API). Each field is the generated field of
/// the same name, converted by `Into`, unless it says `= expression`; the expression sees the
/// parameters of the `fn from_api(op, raw: …);` line: the operationId (for errors naming the
/// operation) and the generated value. The generated type is named only on that line, so no
/// public line mentions it (`public_api_tests` reads them).
///
/// ```text
/// crate::model::output! {
///     /// A registered customer.
///     #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
///     pub struct RegisteredCustomer {
///         /// Keep it.
///         pub id: UserId = UserId::new(raw.id.get()),
///         /// The KYC form.
///         pub kyc_form_url: String,
///     }
///     fn from_api(op, raw: types::RegisteredUser);
/// }
/// ```
macro_rules! output {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $(#[serde($($serde:tt)*)])?
                pub $field:ident: $ty:ty $(= $value:expr)?,
            )*
        }
        fn from_api($op:ident, $raw:ident: $api:ty);
    ) => {
        $(#[$meta])*
        #[non_exhaustive]
        pub struct $name {
            $(
                $(#[doc = $doc])*
                $(#[serde($($serde)*)])?
                pub $field: $ty,
            )*
        }

        impl crate::convert::FromApi<$api> for $name {
            #[allow(unused_variables, clippy::useless_conversion)]
            #[inline]
            fn from_api($op: &'static str, $raw: $api) -> Result<Self, crate::Error> {
                Ok(Self {
                    $($field: crate::model::output!(@value $raw.$field $(, $value)?),)*
                })
            }

            #[allow(unused_variables, clippy::useless_conversion)]
            #[inline]
            fn push_from_api(
                $op: &'static str,
                $raw: $api,
                out: &mut ::std::vec::Vec<Self>,
            ) -> Result<(), crate::Error> {
                // With room in `out` (a page reserves its rows' count), `push` cannot
                // grow it: the value is then written straight into its slot instead of
                // being built on the stack and copied in with a `memcpy` call, since no
                // call to grow lies between building and storing it.
                if out.len() < out.capacity() {
                    out.push(Self {
                        $($field: crate::model::output!(@value $raw.$field $(, $value)?),)*
                    });
                    Ok(())
                } else {
                    crate::convert::push_growing($op, $raw, out)
                }
            }
        }
    };
    (@value $raw:ident.$field:ident) => {
        $raw.$field.into()
    };
    (@value $raw:ident.$field:ident, $value:expr) => {
        $value
    };
}
pub(crate) use output;

/// An area of the API: its handle (holding the client), the handle's per-call options
/// (`with_timeout`, `with_retry`) and the [`Client`](crate::Client) method that hands it out.
///
/// ```text
/// crate::model::area! {
///     /// Assets and prices; from [`Client::assets`].
///     pub struct Assets;
///     /// Supported coins and chains, and token prices.
///     pub fn assets();
/// }
/// ```
macro_rules! area {
    (
        $(#[$doc:meta])* pub struct $area:ident;
        $(#[$method_doc:meta])* pub fn $method:ident();
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $area {
            client: crate::Client,
        }

        crate::client::call_options!($area);

        impl crate::Client {
            $(#[$method_doc])*
            pub fn $method(&self) -> $area {
                $area {
                    client: self.clone(),
                }
            }
        }
    };
}
pub(crate) use area;

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

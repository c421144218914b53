//! The `open_enum!` macro behind every string enum the vendor may extend.
//!
//! CryptoPocket documents status words, event names and error codes, but says
//! neither that the lists are complete nor that they will stay the same. A
//! closed Rust enum would turn every new word into a decoding failure of the
//! whole response, so each of these types keeps a fallback variant that holds
//! the unknown text exactly as received, and serialises it back unchanged.
//!
//! Syntax (the fallback is `Unknown` unless named; `ignore_ascii_case` makes
//! the known words match in any ASCII case while still writing the canonical
//! spelling; `|` adds aliases that parse to a variant but are never written):
//!
//! ```text
//! open_enum! {
//!     /// Type docs.
//!     Name fallback Other, ignore_ascii_case {
//!         /// Variant docs.
//!         Variant => "wire" | "alias",
//!     }
//! }
//! ```

/// Compares a received string with a known wire string, exactly or ignoring
/// ASCII case; a function rather than an inline `if` so the macro can pass the
/// choice as a plain `bool` without tripping constant-condition lints.
#[inline(always)]
pub(crate) fn wire_matches(ignore_ascii_case: bool, received: &str, known: &str) -> bool {
    if ignore_ascii_case {
        received.eq_ignore_ascii_case(known)
    } else {
        received == known
    }
}

/// Defines an open string enum; see the module documentation for the syntax.
macro_rules! open_enum {
    (
        @build
        [$(#[$meta:meta])*]
        $name:ident
        fallback [$(#[$fb_meta:meta])*] $fallback:ident
        ignore_ascii_case [$ignore_case:expr]
        {
            $(
                $(#[$v_meta:meta])*
                $variant:ident => $wire:literal $(| $alias:literal)*
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                $(#[$v_meta])*
                $variant,
            )*
            /// A value this crate does not know yet, kept as sent.
            $(#[$fb_meta])*
            $fallback(::std::string::String),
        }

        impl $name {
            /// The wire string of every known variant, in declaration order: the values
            /// this type decodes to a variant of its own (matched in any ASCII case where
            /// the type says so), and the only ones it writes besides unknown text. The
            /// snapshot tests hold this list to the spec's `x-known-values`.
            pub const KNOWN: &'static [&'static str] = &[$($wire),*];

            /// Other spellings (such as a legacy name) that also decode to a known variant,
            /// which then writes its [`KNOWN`](Self::KNOWN) string instead.
            pub const ALIASES: &'static [&'static str] = &[$($($alias,)*)*];

            /// The exact string the API uses, so a value read from one
            /// response can be sent back or logged without loss (unknown
            /// values come back exactly as received).
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)*
                    Self::$fallback(text) => text.as_str(),
                }
            }

            /// Finds the known variant for a received string, if any; the
            /// single place where wire strings and aliases are matched.
            #[inline]
            fn from_known(text: &str) -> ::std::option::Option<Self> {
                $(
                    if $crate::model::open_enum::wire_matches($ignore_case, text, $wire)
                        $(|| $crate::model::open_enum::wire_matches($ignore_case, text, $alias))*
                    {
                        return ::std::option::Option::Some(Self::$variant);
                    }
                )*
                ::std::option::Option::None
            }
        }

        impl ::std::convert::From<&str> for $name {
            #[inline]
            fn from(text: &str) -> Self {
                Self::from_known(text)
                    .unwrap_or_else(|| Self::$fallback(::std::string::String::from(text)))
            }
        }

        impl ::std::convert::From<::std::string::String> for $name {
            #[inline]
            fn from(text: ::std::string::String) -> Self {
                match Self::from_known(&text) {
                    ::std::option::Option::Some(known) => known,
                    ::std::option::Option::None => Self::$fallback(text),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                ::std::result::Result::Ok(Self::from(text))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error>
            where
                S: ::serde::Serializer,
            {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::std::result::Result<Self, D::Error>
            where
                D: ::serde::Deserializer<'de>,
            {
                struct WireVisitor;

                impl ::serde::de::Visitor<'_> for WireVisitor {
                    type Value = $name;

                    fn expecting(
                        &self,
                        f: &mut ::std::fmt::Formatter<'_>,
                    ) -> ::std::fmt::Result {
                        f.write_str(concat!("a string (", stringify!($name), ")"))
                    }

                    fn visit_str<E>(self, text: &str) -> ::std::result::Result<$name, E>
                    where
                        E: ::serde::de::Error,
                    {
                        ::std::result::Result::Ok($name::from(text))
                    }

                    fn visit_string<E>(
                        self,
                        text: ::std::string::String,
                    ) -> ::std::result::Result<$name, E>
                    where
                        E: ::serde::de::Error,
                    {
                        ::std::result::Result::Ok($name::from(text))
                    }
                }

                deserializer.deserialize_str(WireVisitor)
            }
        }
    };

    (
        $(#[$meta:meta])*
        $name:ident fallback $(#[$fb_meta:meta])* $fallback:ident, ignore_ascii_case
        { $($body:tt)* }
    ) => {
        $crate::model::open_enum::open_enum! {
            @build [$(#[$meta])*] $name
            fallback [$(#[$fb_meta])*] $fallback
            ignore_ascii_case [true]
            { $($body)* }
        }
    };

    (
        $(#[$meta:meta])*
        $name:ident fallback $(#[$fb_meta:meta])* $fallback:ident
        { $($body:tt)* }
    ) => {
        $crate::model::open_enum::open_enum! {
            @build [$(#[$meta])*] $name
            fallback [$(#[$fb_meta])*] $fallback
            ignore_ascii_case [false]
            { $($body)* }
        }
    };

    (
        $(#[$meta:meta])*
        $name:ident
        { $($body:tt)* }
    ) => {
        $crate::model::open_enum::open_enum! {
            @build [$(#[$meta])*] $name
            fallback [] Unknown
            ignore_ascii_case [false]
            { $($body)* }
        }
    };
}

pub(crate) use open_enum;

#[cfg(test)]
mod tests {
    // `open_enum!` is in textual scope here, being defined above in this file.

    open_enum! {
        /// Exact matching with the default fallback.
        Colour {
            /// Red.
            Red => "red",
            /// Dark blue, formerly spelt "navy".
            DarkBlue => "DARK_BLUE" | "navy",
        }
    }

    open_enum! {
        /// Case-insensitive matching with a named fallback.
        Method fallback
        /// Extra fallback docs are accepted.
        Other, ignore_ascii_case {
            /// Card.
            Card => "card",
        }
    }

    open_enum! {
        /// Named fallback, exact matching.
        Code fallback Other {
            /// Only one.
            One => "one",
        }
    }

    #[test]
    fn known_strings_parse_and_round_trip() {
        assert_eq!(Colour::from("red"), Colour::Red);
        assert_eq!(Colour::from("DARK_BLUE"), Colour::DarkBlue);
        assert_eq!(Colour::DarkBlue.as_str(), "DARK_BLUE");
        assert_eq!(Colour::Red.to_string(), "red");
    }

    #[test]
    fn alias_parses_but_canonical_name_is_written() {
        let parsed = Colour::from("navy");
        assert_eq!(parsed, Colour::DarkBlue);
        assert_eq!(parsed.as_str(), "DARK_BLUE");
    }

    #[test]
    fn exact_matching_is_case_sensitive() {
        assert_eq!(Colour::from("Red"), Colour::Unknown("Red".to_owned()));
        assert_eq!(Code::from("ONE"), Code::Other("ONE".to_owned()));
    }

    #[test]
    fn unknown_values_are_kept_verbatim() {
        let value = Colour::from(String::from(" purple "));
        assert_eq!(value, Colour::Unknown(" purple ".to_owned()));
        assert_eq!(value.as_str(), " purple ");
        assert_eq!(
            "".parse::<Colour>().ok(),
            Some(Colour::Unknown(String::new()))
        );
    }

    #[test]
    fn ignore_case_matches_any_case_but_writes_canonical() {
        assert_eq!(Method::from("CARD"), Method::Card);
        assert_eq!(Method::from("cArD").as_str(), "card");
        assert_eq!(Method::from("KHIPU"), Method::Other("KHIPU".to_owned()));
    }

    #[test]
    fn known_values_and_aliases_are_listed() {
        assert_eq!(Colour::KNOWN, ["red", "DARK_BLUE"]);
        assert_eq!(Colour::ALIASES, ["navy"]);
        assert_eq!(Method::KNOWN, ["card"]);
        assert!(Method::ALIASES.is_empty());
        assert_eq!((Code::KNOWN, Code::ALIASES), (&["one"][..], &[][..]));
        for wire in Colour::KNOWN.iter().chain(Colour::ALIASES) {
            assert!(!matches!(Colour::from(*wire), Colour::Unknown(_)), "{wire}");
        }
        for wire in Colour::KNOWN {
            assert_eq!(Colour::from(*wire).as_str(), *wire);
        }
    }

    #[test]
    fn display_honours_padding() {
        assert_eq!(format!("[{:>5}]", Colour::Red), "[  red]");
    }

    #[test]
    fn serde_uses_wire_strings() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&Colour::DarkBlue)?, "\"DARK_BLUE\"");
        assert_eq!(
            serde_json::to_string(&Colour::Unknown("x\"y".to_owned()))?,
            "\"x\\\"y\""
        );
        let parsed: Vec<Colour> = serde_json::from_str(r#"["red","navy","green"]"#)?;
        assert_eq!(
            parsed,
            vec![
                Colour::Red,
                Colour::DarkBlue,
                Colour::Unknown("green".to_owned())
            ]
        );
        // Escaped strings cannot be borrowed, which exercises the owned path.
        let escaped: Colour = serde_json::from_str(r#""r\u0065d""#)?;
        assert_eq!(escaped, Colour::Red);
        Ok(())
    }

    #[test]
    fn non_strings_are_rejected() {
        assert!(serde_json::from_str::<Colour>("1").is_err());
        assert!(serde_json::from_str::<Colour>("null").is_err());
    }
}

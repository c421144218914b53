//! The closed lists of document kinds a request may name.
//!
//! Unlike statuses, these are *request-side* values: the API accepts exactly the documented
//! words, so they are closed enums here (a word outside the list could only be refused by
//! the server). Both lists are documented; a unit test holds them to the spec's enums.

use std::{fmt, str::FromStr};

use serde::{Serialize, Serializer};

/// Why a word is not one of a closed list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a known {kind}; one of: {expected}")]
#[non_exhaustive]
pub struct UnknownValue {
    kind: &'static str,
    input: String,
    expected: String,
}

/// Defines a closed request enum: variants with their wire words, `ALL`, `as_str`,
/// `Display`, `FromStr`, `Serialize`, `clap::ValueEnum` (feature `clap`), and the conversion
/// to the generated type ([`ToApi`](crate::convert::ToApi)).
macro_rules! request_enum {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal, $api:ident {
            $( $(#[$v_meta:meta])* $variant:ident => $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$v_meta])* $variant, )*
        }

        impl $name {
            /// Every value, in the documentation's order.
            pub const ALL: &'static [$name] = &[$(Self::$variant,)*];

            /// The word the API uses.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire,)*
                }
            }

        }

        /// The generated client's value. Every word here is one of the spec's (a unit test
        /// checks it), so the conversion cannot fail in practice; if it ever did, the request
        /// is refused before it is sent.
        impl crate::convert::ToApi<cryptopocket_api::types::$api> for $name {
            fn to_api(
                &self,
                _: &'static str,
            ) -> Result<cryptopocket_api::types::$api, crate::Error> {
                self.as_str().parse().map_err(|_| {
                    crate::Error::InvalidRequest(format!(
                        "{} `{}` is not in the spec's list",
                        $kind,
                        self.as_str()
                    ))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            /// Reads the API's word, exactly as documented.
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == text)
                    .ok_or_else(|| UnknownValue {
                        kind: $kind,
                        input: crate::error::shortened(text, 64),
                        expected: Self::ALL
                            .iter()
                            .map(|value| value.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    })
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        /// A command line offers (in help and completions) and accepts exactly the API's words.
        #[cfg(feature = "clap")]
        impl clap::ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                Self::ALL
            }

            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Some(clap::builder::PossibleValue::new(self.as_str()))
            }
        }
    };
}

request_enum! {
    /// What a document uploaded with Upload Customer Document is (`type`; documented).
    /// None of these is an identity document: those are [`IdentityDocumentType`].
    DocumentType, "document type", DocumentType {
        /// `onboarding_form`: the onboarding form.
        OnboardingForm => "onboarding_form",
        /// `bank_statement`: a bank account statement.
        BankStatement => "bank_statement",
        /// `payslip`: a salary slip.
        Payslip => "payslip",
        /// `employment_contract`.
        EmploymentContract => "employment_contract",
        /// `tax_return`.
        TaxReturn => "tax_return",
        /// `tax_certificate`.
        TaxCertificate => "tax_certificate",
        /// `company_accounts`: a company's financial accounts.
        CompanyAccounts => "company_accounts",
        /// `dividend_statement`.
        DividendStatement => "dividend_statement",
        /// `investment_statement`: an investment portfolio statement.
        InvestmentStatement => "investment_statement",
        /// `crypto_wallet_statement`.
        CryptoWalletStatement => "crypto_wallet_statement",
        /// `sale_of_property`: a real-estate sale.
        SaleOfProperty => "sale_of_property",
        /// `sale_of_vehicle`.
        SaleOfVehicle => "sale_of_vehicle",
        /// `sale_of_company_shares`.
        SaleOfCompanyShares => "sale_of_company_shares",
        /// `inheritance_document`.
        InheritanceDocument => "inheritance_document",
        /// `gift_declaration`.
        GiftDeclaration => "gift_declaration",
        /// `loan_agreement`.
        LoanAgreement => "loan_agreement",
        /// `savings_evidence`: proof of savings.
        SavingsEvidence => "savings_evidence",
        /// `invoice`.
        Invoice => "invoice",
        /// `freelance_income_evidence`: proof of self-employed income.
        FreelanceIncomeEvidence => "freelance_income_evidence",
        /// `pension_statement`.
        PensionStatement => "pension_statement",
        /// `unemployment_benefit_statement`.
        UnemploymentBenefitStatement => "unemployment_benefit_statement",
        /// `source_of_funds_declaration`.
        SourceOfFundsDeclaration => "source_of_funds_declaration",
        /// `other`: any other supporting document.
        Other => "other",
    }
}

request_enum! {
    /// A customer's identity document (`document_type`; documented on Create customer).
    ///
    /// The valid set depends on the customer's country, and the number must follow that
    /// country's format (a valid number is mandatory for LATAM operations). Mind
    /// [`Passport`](Self::Passport) (Spain) versus [`Pass`](Self::Pass) (Colombia), and
    /// [`Dni`](Self::Dni), shared by Peru and Argentina. The list of supported countries is
    /// undocumented.
    IdentityDocumentType, "identity document type", IdentityDocumentType {
        /// `GOVERNMENT_ID`: Spain, individual, DNI.
        GovernmentId => "GOVERNMENT_ID",
        /// `PERMANENT_RESIDENCE_PERMIT`: Spain, individual, NIE.
        PermanentResidencePermit => "PERMANENT_RESIDENCE_PERMIT",
        /// `PASSPORT`: Spain, individual, passport.
        Passport => "PASSPORT",
        /// `CIF`: Spain, company.
        Cif => "CIF",
        /// `RUT`: Chile.
        Rut => "RUT",
        /// `CURP`: Mexico, individual.
        Curp => "CURP",
        /// `RFC`: Mexico, company.
        Rfc => "RFC",
        /// `CED_CIU`: Colombia, individual, citizen id.
        CedCiu => "CED_CIU",
        /// `CED_EXT`: Colombia, individual, foreigner id.
        CedExt => "CED_EXT",
        /// `TI`: Colombia, individual, identity card.
        Ti => "TI",
        /// `NUIP`: Colombia, individual.
        Nuip => "NUIP",
        /// `TE`: Colombia, individual, foreigner card.
        Te => "TE",
        /// `PPT`: Colombia, individual, temporary protection permit.
        Ppt => "PPT",
        /// `PASS`: Colombia, individual, passport.
        Pass => "PASS",
        /// `PEP`: Colombia, individual, special permanence permit.
        Pep => "PEP",
        /// `RC`: Colombia, individual, civil registry.
        Rc => "RC",
        /// `NIT`: Colombia, company.
        Nit => "NIT",
        /// `DNI`: Peru or Argentina, individual.
        Dni => "DNI",
        /// `CE`: Peru, individual, foreigner card.
        Ce => "CE",
        /// `RUC`: Peru, company.
        Ruc => "RUC",
        /// `CUIT`: Argentina, company (and an individual's CUIL).
        Cuit => "CUIT",
    }
}

#[cfg(test)]
mod tests {
    use cryptopocket_api::types;

    use super::{DocumentType, IdentityDocumentType};
    use crate::convert::ToApi;

    /// The generated enums are the spec's lists; every word here must convert, and the
    /// counts must match, so a word added to or dropped from the spec shows up here.
    #[test]
    fn the_lists_are_the_specs() {
        for kind in DocumentType::ALL {
            let api: types::DocumentType = kind.to_api("type").unwrap();
            assert_eq!(api.to_string(), kind.as_str());
            assert_eq!(kind.as_str().parse::<DocumentType>().unwrap(), *kind);
        }
        for kind in IdentityDocumentType::ALL {
            let api: types::IdentityDocumentType = kind.to_api("document_type").unwrap();
            assert_eq!(api.to_string(), kind.as_str());
            assert_eq!(
                kind.as_str().parse::<IdentityDocumentType>().unwrap(),
                *kind
            );
        }
        let spec = include_str!("../../../../openapi/cryptopocket.yaml");
        let count = |schema: &str| {
            let start = spec.find(&format!("\n    {schema}:\n")).unwrap();
            let rest = &spec[start..];
            let list = &rest[rest.find("      enum:\n").unwrap() + 12..];
            list.lines()
                .take_while(|line| line.starts_with("        - "))
                .count()
        };
        assert_eq!(DocumentType::ALL.len(), count("DocumentType"));
        assert_eq!(
            IdentityDocumentType::ALL.len(),
            count("IdentityDocumentType")
        );
    }

    #[test]
    fn unknown_words_are_refused_with_the_list() {
        let error = "passport".parse::<IdentityDocumentType>().unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("`passport` is not a known identity document type"),
            "{text}"
        );
        assert!(text.contains("PASSPORT"), "{text}");
    }
}

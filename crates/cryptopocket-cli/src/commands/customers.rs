//! `cryptopocket customers`: List customers, Create customer (plain, delegated KYC, company),
//! Find User and Upload Customer Document.

use std::str::FromStr;

use clap::{
    ArgGroup, Args, Subcommand,
    builder::{PossibleValuesParser, TypedValueParser as _},
};
use cryptopocket::{
    customers::{
        CustomerLookup, NewCompany, NewCustomer, NewDelegatedKycCustomer, NewDocument,
        VerifiedDocument,
    },
    model::{DocumentType, IdentityDocumentType, UserId},
};
use serde_json::json;

use super::{Context, ListArgs};
use crate::{
    exit::{Failure, Lookup},
    files,
    views::RegisteredCompanyView,
};

/// A parser for one of the crate's closed request enums (`DocumentType`,
/// `IdentityDocumentType`), offering in help and completions the words the crate knows
/// (which a test holds to the spec's lists).
macro_rules! request_enum {
    ($t:ty) => {
        PossibleValuesParser::new(<$t>::ALL.iter().map(|value| value.as_str()))
            .try_map(|s: String| <$t>::from_str(&s))
    };
}

/// Register, find and list customers; upload their documents.
#[derive(Debug, Subcommand)]
pub enum CustomersCommand {
    /// Every customer of the integration (List customers).
    #[command(after_help = "Example:\n  cryptopocket customers list --limit 20")]
    List(ListArgs),

    /// Register an individual customer and get their KYC form (Create customer).
    #[command(
        after_help = "Example:\n  cryptopocket customers register --name Ana --email ana@example.com"
    )]
    Register(Register),

    /// Register a customer whose identity you already verified (Create customer with
    /// delegated KYC). Images are local files (sent as data: URIs) or http(s) URLs.
    #[command(
        after_help = "Example:\n  cryptopocket customers register-delegated --name Ana --email ana@example.com \\\n    --country ES --document-type DNI --document-number 12345678Z \\\n    --document-front front.jpg --document-back back.jpg --selfie selfie.jpg"
    )]
    RegisterDelegated(RegisterDelegated),

    /// Register a company and get its KYB link and password (Create company customer). The
    /// output holds the password: keep it safe.
    #[command(
        after_help = "Example:\n  cryptopocket customers register-company --email ops@acme.example --company-name 'Acme S.L.'"
    )]
    RegisterCompany {
        /// The company's e-mail (at most 254 characters).
        #[arg(long)]
        email: String,
        /// The company's legal name (at most 255 characters).
        #[arg(long)]
        company_name: String,
    },

    /// Find one customer by e-mail, your reference or id (Find User).
    #[command(
        group(ArgGroup::new("key").required(true).multiple(true).args(["email", "external_id", "user_id"])),
        after_help = "Example:\n  cryptopocket customers find --email ana@example.com"
    )]
    Find {
        /// By e-mail.
        #[arg(long)]
        email: Option<String>,
        /// By your reference.
        #[arg(long)]
        external_id: Option<String>,
        /// By customer id.
        #[arg(long)]
        user_id: Option<UserId>,
    },

    /// Attach a document (bank statement, payslip, …) to a customer (Upload Customer
    /// Document).
    #[command(
        after_help = "Example:\n  cryptopocket customers upload-document 100067 --type bank_statement --file statement.pdf"
    )]
    UploadDocument {
        /// The customer id.
        user_id: UserId,
        /// What the document is.
        #[arg(long = "type", value_name = "TYPE", value_parser = request_enum!(DocumentType))]
        kind: DocumentType,
        /// A local file (sent as a data: URI), a data: URI, or an http(s) URL the server
        /// downloads.
        #[arg(long, value_name = "FILE|URL")]
        file: String,
    },
}

/// Create customer's fields.
#[derive(Debug, Args)]
pub struct Register {
    /// First name.
    #[arg(long)]
    name: String,
    /// E-mail.
    #[arg(long)]
    email: String,
    /// Surname.
    #[arg(long)]
    surname: Option<String>,
    /// Phone, international format.
    #[arg(long)]
    phone: Option<String>,
    /// Country, ISO 3166-1 alpha-2 (ES).
    #[arg(long)]
    country: Option<String>,
    /// Identity document type (with --document-number).
    #[arg(long, value_parser = request_enum!(IdentityDocumentType), requires = "document_number")]
    document_type: Option<IdentityDocumentType>,
    /// Identity document number (with --document-type).
    #[arg(long, requires = "document_type")]
    document_number: Option<String>,
    /// Your own reference for the customer.
    #[arg(long)]
    external_id: Option<String>,
    /// Where the KYC form sends the customer back to.
    #[arg(long, value_name = "URL")]
    callback_url: Option<String>,
}

/// Create customer with delegated KYC's fields.
#[derive(Debug, Args)]
pub struct RegisterDelegated {
    /// First name.
    #[arg(long)]
    name: String,
    /// E-mail.
    #[arg(long)]
    email: String,
    /// Country, ISO 3166-1 alpha-2 (ES).
    #[arg(long)]
    country: String,
    /// Identity document type.
    #[arg(long, value_parser = request_enum!(IdentityDocumentType))]
    document_type: IdentityDocumentType,
    /// Identity document number.
    #[arg(long)]
    document_number: String,
    /// Photo of the document's front: a file, data: URI or URL.
    #[arg(long, value_name = "FILE|URL")]
    document_front: String,
    /// Photo of the document's back: a file, data: URI or URL.
    #[arg(long, value_name = "FILE|URL")]
    document_back: String,
    /// A selfie of the customer: a file, data: URI or URL.
    #[arg(long, value_name = "FILE|URL")]
    selfie: String,
    /// Surname.
    #[arg(long)]
    surname: Option<String>,
    /// Phone, international format.
    #[arg(long)]
    phone: Option<String>,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    birth_date: Option<String>,
    /// Legal name, when the customer is a company.
    #[arg(long)]
    company_name: Option<String>,
    /// Your own reference for the customer.
    #[arg(long)]
    external_id: Option<String>,
    /// Where the customer is sent back to.
    #[arg(long, value_name = "URL")]
    callback_url: Option<String>,
}

/// Runs a `customers` subcommand.
pub async fn run(context: &Context, command: CustomersCommand) -> Result<(), Failure> {
    let customers = context.client()?.customers();
    match command {
        CustomersCommand::List(list) => {
            let customers = list.collect(list.sized(customers.list()).stream()).await?;
            context.printer.list(&customers)?;
        }
        CustomersCommand::Register(r) => {
            let mut request = NewCustomer::new(r.name, r.email);
            if let Some(surname) = r.surname {
                request = request.surname(surname);
            }
            if let Some(phone) = r.phone {
                request = request.phone(phone);
            }
            if let Some(country) = r.country {
                request = request.country(country);
            }
            // clap makes the two go together.
            if let (Some(kind), Some(number)) = (r.document_type, r.document_number) {
                request = request.document(kind, number);
            }
            if let Some(external_id) = r.external_id {
                request = request.external_id(external_id);
            }
            if let Some(url) = r.callback_url {
                request = request.callback_url(url);
            }
            let registered = customers
                .create(&request)
                .await
                .map_err(|e| Failure::from(e).look_up_with(Lookup::customer(request.email())))?;
            context.printer.record(&registered)?;
        }
        CustomersCommand::RegisterDelegated(r) => {
            let document = VerifiedDocument::new(
                r.document_type,
                r.document_number,
                files::document(&r.document_front)?,
                files::document(&r.document_back)?,
            );
            let selfie = files::document(&r.selfie)?;
            let mut request =
                NewDelegatedKycCustomer::new(r.name, r.email, r.country, document, selfie);
            if let Some(surname) = r.surname {
                request = request.surname(surname);
            }
            if let Some(phone) = r.phone {
                request = request.phone(phone);
            }
            if let Some(date) = r.birth_date {
                request = request.birth_date(date);
            }
            if let Some(name) = r.company_name {
                request = request.company_name(name);
            }
            if let Some(external_id) = r.external_id {
                request = request.external_id(external_id);
            }
            if let Some(url) = r.callback_url {
                request = request.callback_url(url);
            }
            let registered = customers
                .create_with_delegated_kyc(&request)
                .await
                .map_err(|e| Failure::from(e).look_up_with(Lookup::customer(request.email())))?;
            context.printer.record(&registered)?;
        }
        CustomersCommand::RegisterCompany {
            email,
            company_name,
        } => {
            let company = customers
                .create_company(&NewCompany::new(&email, company_name))
                .await
                .map_err(|e| Failure::from(e).look_up_with(Lookup::customer(&email)))?;
            context
                .printer
                .record(&RegisteredCompanyView::from(&company))?;
        }
        CustomersCommand::Find {
            email,
            external_id,
            user_id,
        } => {
            // clap requires at least one key.
            let mut lookup = match (&email, &external_id, &user_id) {
                (Some(email), _, _) => CustomerLookup::by_email(email),
                (None, Some(external_id), _) => CustomerLookup::by_external_id(external_id),
                (None, None, Some(user_id)) => CustomerLookup::by_user_id(user_id),
                (None, None, None) => {
                    return Err(Failure::usage(
                        "find a customer by --email, --external-id or --user-id",
                    ));
                }
            };
            if let Some(external_id) = external_id {
                lookup = lookup.external_id(external_id);
            }
            if let Some(user_id) = &user_id {
                lookup = lookup.user_id(user_id);
            }
            let customer = customers.find(&lookup).await?;
            context.printer.record(&customer)?;
        }
        CustomersCommand::UploadDocument {
            user_id,
            kind,
            file,
        } => {
            let file = files::document(&file)?;
            customers
                .upload_document(&user_id, &NewDocument::new(kind, file))
                .await?;
            context.printer.message(
                &format!("uploaded the {kind} of customer {user_id}"),
                &json!({"user_id": user_id, "type": kind, "uploaded": true}),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offered_values_are_the_specs_and_parse() {
        fn spec_values<T: schemars::JsonSchema>() -> Vec<String> {
            schemars::schema_for!(T)
                .schema
                .enum_values
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        }
        fn offered<T: FromStr + ToString>(words: Vec<&str>) -> Vec<String> {
            words
                .into_iter()
                .map(|word| T::from_str(word).ok().map(|t| t.to_string()).unwrap())
                .collect()
        }
        let documents = DocumentType::ALL.iter().map(|d| d.as_str()).collect();
        assert_eq!(
            offered::<DocumentType>(documents),
            spec_values::<cryptopocket::api::types::DocumentType>()
        );
        let identities = IdentityDocumentType::ALL
            .iter()
            .map(|d| d.as_str())
            .collect();
        assert_eq!(
            offered::<IdentityDocumentType>(identities),
            spec_values::<cryptopocket::api::types::IdentityDocumentType>()
        );
        assert_eq!(DocumentType::ALL.len(), 23);
        assert_eq!(IdentityDocumentType::ALL.len(), 21);
    }
}

//! `cryptopocket customers`: List customers, Create customer (plain, delegated KYC, company),
//! Find User and Upload Customer Document.

use std::str::FromStr;

use clap::{
    ArgGroup, Args, Subcommand,
    builder::{PossibleValuesParser, TypedValueParser as _},
};
use cryptopocket::{
    api::types::{
        DocumentType, IdentityDocumentType, RegisterUserKycDelegatedRequest, RegisterUserRequest,
    },
    customers::CustomerLookup,
    model::UserId,
};
use serde_json::json;

use super::{Context, ListArgs};
use crate::{
    exit::{Failure, Lookup},
    files,
    views::{DelegatedCustomerView, RegisteredCompanyView},
};

/// A parser for one of the spec's closed request enums (`DocumentType`,
/// `IdentityDocumentType`). The values offered in help and completions are read from the
/// generated type's JSON schema, so they follow the spec without a list kept here.
fn spec_enum<T>() -> impl clap::builder::TypedValueParser<Value = T>
where
    T: schemars::JsonSchema + FromStr + Clone + Send + Sync + 'static,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    PossibleValuesParser::new(spec_values::<T>()).try_map(|s: String| T::from_str(&s))
}

fn spec_values<T: schemars::JsonSchema>() -> Vec<String> {
    schemars::schema_for!(T)
        .schema
        .enum_values
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
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
        #[arg(long = "type", value_name = "TYPE", value_parser = spec_enum::<DocumentType>())]
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
    /// Identity document type.
    #[arg(long, value_parser = spec_enum::<IdentityDocumentType>())]
    document_type: Option<IdentityDocumentType>,
    /// Identity document number.
    #[arg(long)]
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
    #[arg(long, value_parser = spec_enum::<IdentityDocumentType>())]
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
            let customers = list.collect(customers.list_with(list.options())).await?;
            context.printer.list(&customers);
        }
        CustomersCommand::Register(r) => {
            let request = RegisterUserRequest {
                name: r.name,
                email: r.email,
                surname: r.surname,
                phone: r.phone,
                country: r.country,
                document_type: r.document_type,
                document_number: r.document_number,
                external_id: r.external_id,
                callback_url: r.callback_url,
            };
            let registered = customers
                .register(&request)
                .await
                .map_err(|e| Failure::from(e).look_up_with(Lookup::customer(&request.email)))?;
            context.printer.record(&registered);
        }
        CustomersCommand::RegisterDelegated(r) => {
            let request = RegisterUserKycDelegatedRequest {
                document_front: files::document(&r.document_front)?,
                document_back: files::document(&r.document_back)?,
                selfie: files::document(&r.selfie)?,
                name: r.name,
                email: r.email,
                country: r.country,
                document_type: r.document_type,
                document_number: r.document_number,
                surname: r.surname,
                phone: r.phone,
                birth_date: r.birth_date,
                company_name: r.company_name,
                external_id: r.external_id,
                callback_url: r.callback_url,
            };
            let (id, kyc_status) = customers
                .register_with_delegated_kyc(&request)
                .await
                .map_err(|e| Failure::from(e).look_up_with(Lookup::customer(&request.email)))?;
            context
                .printer
                .record(&DelegatedCustomerView { id, kyc_status });
        }
        CustomersCommand::RegisterCompany {
            email,
            company_name,
        } => {
            let company = customers
                .register_company(&email, &company_name)
                .await
                .map_err(|e| Failure::from(e).look_up_with(Lookup::customer(&email)))?;
            context
                .printer
                .record(&RegisteredCompanyView::from(&company));
        }
        CustomersCommand::Find {
            email,
            external_id,
            user_id,
        } => {
            let lookup = CustomerLookup {
                email,
                external_id,
                user_id,
            };
            let customer = customers.find(&lookup).await?;
            context.printer.record(&customer);
        }
        CustomersCommand::UploadDocument {
            user_id,
            kind,
            file,
        } => {
            let file = files::document(&file)?;
            customers.upload_document(user_id, kind, &file).await?;
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
        fn round_trips<T: schemars::JsonSchema + FromStr + ToString>(count: usize) {
            let values = spec_values::<T>();
            assert_eq!(values.len(), count);
            for name in values {
                let parsed = T::from_str(&name).map(|t| t.to_string()).ok();
                assert_eq!(parsed.as_deref(), Some(name.as_str()));
            }
        }
        round_trips::<DocumentType>(23);
        round_trips::<IdentityDocumentType>(21);
    }
}

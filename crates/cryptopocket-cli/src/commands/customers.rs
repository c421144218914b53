//! `cryptopocket customers`: List customers, Create customer (plain, delegated KYC, company),
//! Find User and Upload Customer Document.

use clap::{Arg, Subcommand};
use cryptopocket::{
    customers::{CustomerLookup, NewCompany, NewCustomer, NewDelegatedKycCustomer, NewDocument},
    model::UserId,
};
use futures::TryFutureExt as _;
use serde_json::json;

use super::{Context, ListArgs, create, naming_flag, record};
use crate::{
    exit::{Failure, Lookup},
    files,
    views::RegisteredCompanyView,
};

/// A document flag of the crate's input that also takes a local file, read and sent as a
/// `data:` URI (`data:` URIs and `http(s)` URLs pass through).
fn local_file(arg: Arg) -> Arg {
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    arg.value_name("FILE|URL")
        .help(format!("{help}, or a local file (sent as a data: URI)"))
        .value_parser(|argument: &str| files::document(argument).map_err(|f| f.message.clone()))
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
    Register(NewCustomer),

    /// Register a customer whose identity you already verified (Create customer with
    /// delegated KYC). Images are local files (sent as data: URIs) or http(s) URLs.
    #[command(
        after_help = "Example:\n  cryptopocket customers register-delegated --name Ana --email ana@example.com \\\n    --country ES --document-type DNI --document-number 12345678Z \\\n    --document-front front.jpg --document-back back.jpg --selfie selfie.jpg",
        mut_arg("document_front", local_file),
        mut_arg("document_back", local_file),
        mut_arg("selfie", local_file)
    )]
    RegisterDelegated(NewDelegatedKycCustomer),

    /// Register a company and get its KYB link and password (Create company customer). The
    /// output holds the password: keep it safe.
    #[command(
        after_help = "Example:\n  cryptopocket customers register-company --email ops@acme.example --company-name 'Acme S.L.'"
    )]
    RegisterCompany(NewCompany),

    /// Find one customer by e-mail, your reference or id (Find User).
    #[command(after_help = "Example:\n  cryptopocket customers find --email ana@example.com")]
    Find(CustomerLookup),

    /// Attach a document (bank statement, payslip, …) to a customer (Upload Customer
    /// Document).
    #[command(
        after_help = "Example:\n  cryptopocket customers upload-document 100067 --type bank_statement --file statement.pdf",
        mut_arg("file", local_file)
    )]
    UploadDocument {
        /// The customer id.
        user_id: UserId,
        /// What it is and its file.
        #[command(flatten)]
        document: NewDocument,
    },
}

/// Runs a `customers` subcommand.
pub async fn run(context: &Context, command: CustomersCommand) -> Result<(), Failure> {
    let customers = context.client()?.customers();
    let printer = &context.printer;
    match command {
        CustomersCommand::List(list) => {
            printer.list(&list.collect(list.sized(customers.list()).stream()).await?)?;
        }
        CustomersCommand::Register(request) => {
            let lookup = Lookup::customer(request.email());
            create(printer, &request, lookup, customers.create(&request)).await?;
        }
        CustomersCommand::RegisterDelegated(request) => {
            let lookup = Lookup::customer(request.email());
            let registered = customers.create_with_delegated_kyc(&request);
            create(printer, &request, lookup, registered).await?;
        }
        CustomersCommand::RegisterCompany(company) => {
            let lookup = Lookup::customer(company.email());
            let registered = customers.create_company(&company);
            let view = registered.map_ok(|company| RegisteredCompanyView::from(&company));
            create(printer, &company, lookup, view).await?;
        }
        CustomersCommand::Find(lookup) => {
            record(printer, &lookup, customers.find(&lookup)).await?;
        }
        CustomersCommand::UploadDocument { user_id, document } => {
            customers
                .upload_document(&user_id, &document)
                .await
                .map_err(naming_flag::<NewDocument>)?;
            let kind = document.kind();
            printer.message(
                &format!("uploaded the {kind} of customer {user_id}"),
                &json!({"user_id": user_id, "type": kind, "uploaded": true}),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use cryptopocket::model::{DocumentType, IdentityDocumentType};

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

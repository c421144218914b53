//! Customers (individuals and companies) and their KYC/KYB.

use std::fmt;

use chrono::{DateTime, Utc};
use cryptopocket_api::{endpoints, types};
use secrecy::SecretString;

use crate::{
    Error,
    convert::{FromApi as _, Maybe as _, data, paged, required, send_body},
    model::{CustomerKind, DocumentType, IdentityDocumentType, KycStatus, UserId},
    pagination::List,
    watch::{Watch, watching},
};

crate::model::area! {
    /// Customer registration and lookup; from [`Client::customers`](crate::Client::customers).
    pub struct Customers;
    /// Registering, finding and listing customers, and uploading their documents.
    pub fn customers();
}

crate::model::area! {
    /// KYC and KYB status and links; from [`Client::kyc`](crate::Client::kyc).
    pub struct Kyc;
    /// KYC/KYB verification status and the enhanced verification link.
    pub fn kyc();
}

crate::model::output! {
    /// A registered individual customer (Create customer; documented).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct RegisteredCustomer {
        /// Keep it: every later call names the customer by it.
        pub id: UserId = UserId::new(raw.id.get()),
        /// Send the customer here to complete KYC.
        pub kyc_form_url: String,
    }
    fn from_api(op, raw: types::RegisteredUser);
}

crate::model::output! {
    /// A registered company customer (Create company customer; documented). Keep `kyb_link`
    /// and `password` safe: both are needed to finish KYB, and the link stops working 90 days
    /// after creation (documented). Neither `Serialize` nor `PartialEq`: it holds the password.
    #[derive(Clone)]
    pub struct RegisteredCompany {
        /// The company's customer id.
        pub id: UserId = UserId::new(raw.id.get()),
        /// The company's public UUID.
        pub uuid: uuid::Uuid,
        /// The KYB onboarding form.
        pub kyb_link: String,
        /// Opens the form; never printed by `Debug`.
        pub password: SecretString = SecretString::from(raw.password),
    }
    fn from_api(op, raw: types::RegisteredCompany);
}

impl fmt::Debug for RegisteredCompany {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredCompany")
            .field("id", &self.id)
            .field("uuid", &self.uuid)
            .field("kyb_link", &self.kyb_link)
            .field("password", &"[redacted]")
            .finish()
    }
}

crate::model::input! {
    /// How [`Customers::find`] finds one customer (Find User; lookup keys inferred): each
    /// constructor sets one key, and the methods add more.
    ///
    /// ```
    /// use cryptopocket::customers::CustomerLookup;
    ///
    /// let lookup = CustomerLookup::by_email("ana@example.com").external_id("cust-0042");
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    #[cfg_attr(feature = "clap", group(required = true, multiple = true))]
    pub struct CustomerLookup {
        /// By e-mail.
        email: Option<String>,
        /// By your reference.
        external_id: Option<String>,
        /// By customer id.
        user_id: Option<UserId>,
    }

    setters {
        /// Also by e-mail.
        email(impl Into<String>);
        /// Also by your reference.
        external_id(impl Into<String>);
    }

    fn to_api() -> (Option<String>, Option<String>, Option<cryptopocket_api::Int>);
}

impl CustomerLookup {
    /// The customer registered with this e-mail.
    pub fn by_email(email: impl Into<String>) -> Self {
        Self::none().email(email)
    }

    /// The customer registered with your reference `external_id`.
    pub fn by_external_id(external_id: impl Into<String>) -> Self {
        Self::none().external_id(external_id)
    }

    /// The customer with this id.
    pub fn by_user_id(user_id: &UserId) -> Self {
        Self::none().user_id(user_id)
    }

    fn none() -> Self {
        Self {
            email: None,
            external_id: None,
            user_id: None,
        }
    }

    /// Also by id.
    pub fn user_id(mut self, user_id: &UserId) -> Self {
        self.user_id = Some(*user_id);
        self
    }
}

crate::model::input! {
    /// A company customer to register with [`Customers::create_company`] (Create company
    /// customer; documented): its e-mail (at most 254 characters) and legal name (at most 255).
    ///
    /// ```
    /// use cryptopocket::customers::NewCompany;
    ///
    /// let company = NewCompany::new("ops@acme.example", "Acme S.L.");
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct NewCompany {
        /// The company's e-mail (at most 254 characters).
        email: String,
        /// The company's legal name (at most 255 characters).
        company_name: String,
    }

    /// A company with the two documented required fields. Both must not be empty nor
    /// longer than documented; [`Customers::create_company`] checks before sending.
    pub fn new(email: impl Into<String>, company_name: impl Into<String>);

    fn to_api() -> types::RegisterCompanyRequest;
}

impl NewCompany {
    /// The e-mail given, for looking the company up after a failed registration.
    pub fn email(&self) -> &str {
        &self.email
    }
}

crate::model::input! {
    /// A document to add to a customer's file with [`Customers::upload_document`] (Upload
    /// Customer Document): its kind and the file, a `data:{mime};base64,…` URI or a public
    /// `http(s)` URL the server fetches.
    ///
    /// ```
    /// use cryptopocket::{customers::NewDocument, model::DocumentType};
    ///
    /// let document = NewDocument::new(DocumentType::BankStatement, "https://files.example/statement.pdf");
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct NewDocument {
        /// What the document is.
        #[arg(long = "type", value_name = "TYPE")]
        kind: DocumentType => type_,
        /// A data: URI, or an http(s) URL the server downloads.
        #[check(file)]
        file: String,
    }

    /// A document of `kind` whose content is `file` (checked before sending).
    pub fn new(kind: DocumentType, file: impl Into<String>);

    fn to_api() -> types::UploadCustomerDocumentRequest;
}

impl NewDocument {
    /// What the document is.
    pub fn kind(&self) -> DocumentType {
        self.kind
    }
}

crate::model::output! {
    /// A customer's KYC (or a company's KYB) state (Retrieve KYC/KYB verification status;
    /// documented, `kyc_form_url` inferred). It serialises as the API names the status,
    /// `kyc_status`.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct KycCheck {
        /// The customer checked: the one asked about.
        pub user_id: UserId = raw.0,
        /// `valid` means payments may be created; see [`KycStatus::is_final`].
        #[serde(rename = "kyc_status")]
        pub status: KycStatus = KycStatus::from(raw.1.kyc_status.as_str()),
        /// Whether the check is decided (`valid` or `fail`): `status.is_final()` when read.
        pub is_final: bool = KycStatus::from(raw.1.kyc_status.as_str()).is_final(),
        /// The KYC form again, when the API sends it (inferred).
        pub kyc_form_url: Option<String> = raw.1.kyc_form_url,
    }
    // The response's own `user_id` is inferred and may be absent: the id asked about is
    // the one checked.
    fn from_api(op, raw: (UserId, types::KycStatus));
}

crate::model::output! {
    /// A link to the enhanced ("reinforced") verification, which raises a customer's limits
    /// (the answer to `kyc_reinforced_required`). Response shape inferred.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct OnboardingLink {
        /// Send the customer here.
        pub url: String = raw.onboarding_link,
        /// When the link stops working, if the API says.
        pub expires_at: Option<DateTime<Utc>> = raw.expires_at.map(Into::into),
    }
    fn from_api(op, raw: types::OnboardingForm);
}

crate::model::output! {
    /// A customer as Find User and List customers report it. Both operations are known by name
    /// only: this whole shape is **inferred**, and only `id` is required.
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct Customer {
        /// The customer id, sent as `user_id` to the other endpoints.
        pub id: UserId = UserId::new(raw.id.get()),
        /// First name, or the company name for a company, when sent.
        pub name: Option<String>,
        /// Surname of an individual, when sent.
        pub surname: Option<String>,
        /// E-mail given at registration, when sent.
        pub email: Option<String>,
        /// The KYC/KYB status, with the values of [`Kyc::get`], when sent.
        pub kyc_status: Option<KycStatus> = raw.kyc_status.map(KycStatus::from),
        /// Person or company (`type`), when sent.
        #[serde(rename = "type")]
        pub kind: Option<CustomerKind> = raw.type_.map(CustomerKind::from),
        /// Your own reference for the customer, when sent.
        pub external_id: Option<String> = raw.external_id.map(Into::into),
        /// When the customer was created, when sent.
        pub created_at: Option<DateTime<Utc>> = raw.created_at.map(Into::into),
    }
    fn from_api(op, raw: types::Customer);
}

crate::model::output! {
    /// A customer registered with delegated KYC (Create customer with delegated KYC; the
    /// operation is documented by name, its response **inferred**).
    #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
    pub struct DelegatedCustomer {
        /// Keep it: every later call names the customer by it.
        pub id: UserId = UserId::new(raw.id.get()),
        /// The KYC status, when the API says.
        pub kyc_status: Option<KycStatus> = raw.kyc_status.map(KycStatus::from),
    }
    fn from_api(op, raw: types::RegisteredKycDelegatedUser);
}

crate::model::input! {
    /// An individual customer to register with [`Customers::create`] (Create customer).
    ///
    /// `name` and `email` are documented and required; the rest is optional, and only
    /// `callback_url` is documented: the other field names are inferred.
    ///
    /// ```
    /// use cryptopocket::{customers::NewCustomer, model::IdentityDocumentType};
    ///
    /// let customer = NewCustomer::new("Ana", "ana@example.com")
    ///     .surname("García")
    ///     .country("ES")
    ///     .document(IdentityDocumentType::GovernmentId, "12345678Z")
    ///     .external_id("cust-0042");
    /// assert_eq!(customer.email(), "ana@example.com");
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct NewCustomer {
        /// First name.
        name: String,
        /// E-mail.
        #[check(email)]
        email: String,
        /// Surname.
        surname: Option<String>,
        /// Phone, international format.
        phone: Option<String>,
        /// Country, ISO 3166-1 alpha-2 (ES).
        country: Option<String>,
        /// Identity document type (with --document-number).
        #[arg(long, requires = "document_number")]
        document_type: Option<IdentityDocumentType>,
        /// Identity document number (with --document-type).
        #[arg(long, requires = "document_type")]
        document_number: Option<String>,
        /// Your own reference for the customer.
        external_id: Option<String>,
        /// Where the KYC form sends the customer back to.
        #[arg(long, value_name = "URL")]
        #[check(url)]
        callback_url: Option<String>,
    }

    /// A customer with the two documented required fields. Both must not be empty and the
    /// e-mail must look like one; [`Customers::create`] checks before sending.
    pub fn new(name: impl Into<String>, email: impl Into<String>);

    setters {
        /// The customer's surname (field name inferred).
        surname(impl Into<String>);
        /// The customer's phone, international format (field name inferred).
        phone(impl Into<String>);
        /// The customer's country as ISO 3166-1 alpha-2, e.g. `ES` (field name and format
        /// inferred).
        country(impl Into<String>);
        /// Your own reference for the customer (inferred), which Find User looks up.
        external_id(impl Into<String>);
        /// Where the KYC form sends the customer back to (documented).
        callback_url(impl Into<String>);
    }

    fn to_api() -> types::RegisterUserRequest;
}

impl NewCustomer {
    /// The customer's identity document: its kind and number, in the country's format
    /// (the kinds are documented, the number's field name is inferred; mandatory for LATAM
    /// operations).
    pub fn document(mut self, kind: IdentityDocumentType, number: impl Into<String>) -> Self {
        self.document_type = Some(kind);
        self.document_number = Some(number.into());
        self
    }

    /// The e-mail given, for looking the customer up after a failed registration.
    pub fn email(&self) -> &str {
        &self.email
    }
}

crate::model::input! {
    /// An identity document already verified by the integrator, for
    /// [`NewDelegatedKycCustomer`]: its kind, number and two photos. Each photo is a
    /// `data:{mime};base64,…` URI (inferred) or a public `http(s)` URL.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct VerifiedDocument {
        /// Identity document type.
        document_type: IdentityDocumentType,
        /// Identity document number.
        document_number: String,
        /// Photo of the document's front: a data: URI or an http(s) URL.
        #[check(file)]
        document_front: String,
        /// Photo of the document's back: a data: URI or an http(s) URL.
        #[check(file)]
        document_back: String,
    }

    /// The document of kind `document_type` numbered `document_number`, with photos of its
    /// front (`document_front`) and back (`document_back`).
    pub fn new(
        document_type: IdentityDocumentType,
        document_number: impl Into<String>,
        document_front: impl Into<String>,
        document_back: impl Into<String>,
    );

    fn to_api() -> (types::IdentityDocumentType, String, String, String);
}

crate::model::input! {
    /// A customer whose identity the integrator verified, for
    /// [`Customers::create_with_delegated_kyc`]. The operation is documented by name only:
    /// every field here is **inferred** (the spec's `RegisterUserKycDelegatedRequest`).
    ///
    /// ```
    /// use cryptopocket::{
    ///     customers::{NewDelegatedKycCustomer, VerifiedDocument},
    ///     model::IdentityDocumentType,
    /// };
    ///
    /// let image = "data:image/png;base64,iVBORw0KGgo=";
    /// let document = VerifiedDocument::new(IdentityDocumentType::Passport, "PAA000000", image, image);
    /// let customer = NewDelegatedKycCustomer::new("Bob", "bob@example.com", "ES", document, image)
    ///     .birth_date("1990-01-31")
    ///     .external_id("cust-bob");
    /// assert_eq!(customer.email(), "bob@example.com");
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct NewDelegatedKycCustomer {
        /// First name.
        name: String,
        /// E-mail.
        #[check(email)]
        email: String,
        /// Country, ISO 3166-1 alpha-2 (ES).
        country: String,
        // Its kind, number and photos: --document-type, --document-number, --document-front and
        // --document-back.
        #[flatten]
        document: VerifiedDocument
            => (document_type, document_number, document_front, document_back),
        /// A selfie of the customer: a data: URI or an http(s) URL.
        #[check(file)]
        selfie: String,
        /// Surname.
        surname: Option<String>,
        /// Phone, international format.
        phone: Option<String>,
        /// Date of birth, YYYY-MM-DD.
        #[arg(long, value_name = "DATE")]
        #[check(date)]
        birth_date: Option<String>,
        /// Legal name, when the customer is a company.
        company_name: Option<String>,
        /// Your own reference for the customer.
        external_id: Option<String>,
        /// Where the customer is sent back to.
        #[arg(long, value_name = "URL")]
        #[check(url)]
        callback_url: Option<String>,
    }

    /// A customer with what the spec requires: name, e-mail, country (ISO 3166-1 alpha-2),
    /// the verified identity document and a selfie (a `data:` URI or an `http(s)` URL).
    pub fn new(
        name: impl Into<String>,
        email: impl Into<String>,
        country: impl Into<String>,
        document: VerifiedDocument,
        selfie: impl Into<String>,
    );

    setters {
        /// The customer's surname.
        surname(impl Into<String>);
        /// The customer's phone, international format.
        phone(impl Into<String>);
        /// Date of birth as `YYYY-MM-DD`.
        birth_date(impl Into<String>);
        /// The legal name, when the customer is a company.
        company_name(impl Into<String>);
        /// Your own reference for the customer.
        external_id(impl Into<String>);
        /// Where the customer is sent back to.
        callback_url(impl Into<String>);
    }

    fn to_api() -> types::RegisterUserKycDelegatedRequest;
}

impl NewDelegatedKycCustomer {
    /// The e-mail given, for looking the customer up after a failed registration.
    pub fn email(&self) -> &str {
        &self.email
    }
}

impl Customers {
    /// Create customer (`POST /registerUser`; documented). Sent at most once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] naming the field for an empty name or e-mail, an e-mail
    /// without `@`, an empty optional field that was set, or a `callback_url` that is not an
    /// `http(s)` URL, before anything is sent; `user_already_exists`, `email_not_allowed`
    /// (inferred from the company sibling) as [`Error::Api`]; see [`Error`].
    pub async fn create(&self, customer: &NewCustomer) -> Result<RegisteredCustomer, Error> {
        send_body!(self, RegisterUser, register_user, customer.to_api()?).await
    }

    /// Create customer with delegated KYC (`POST /registerUser/kyc-delegated`; body and
    /// response inferred). Returns the new customer and, when the API says, its KYC status.
    /// Sent at most once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] naming the field for an empty required field, an e-mail
    /// without `@`, a photo that is neither a `data:` URI nor an `http(s)` URL, or a birth
    /// date that is not `YYYY-MM-DD`; see [`Error`].
    pub async fn create_with_delegated_kyc(
        &self,
        customer: &NewDelegatedKycCustomer,
    ) -> Result<DelegatedCustomer, Error> {
        send_body!(
            self,
            RegisterUserKycDelegated,
            register_user_kyc_delegated,
            customer.to_api()?
        )
        .await
    }

    /// Create company customer (`POST /register/company`). Sent at most once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for an empty or over-long e-mail (254) or name (255), as
    /// documented; the API's `user_already_exists`, `email_not_allowed`, … as
    /// [`Error::Api`]; its 422 body as [`Error::Validation`].
    pub async fn create_company(&self, company: &NewCompany) -> Result<RegisteredCompany, Error> {
        send_body!(self, RegisterCompany, register_company, company.to_api()?).await
    }

    /// Upload Customer Document (`POST /customers/{user_id}/documents`): adds `document` to
    /// the file of `user_id`. Sent at most once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a file that is neither a `data:` URI nor an `http(s)`
    /// URL; `user_not_in_integration` (403), `user_not_found` (404) and `invalid_file` (422)
    /// as [`Error::Api`]; see [`Error`].
    pub async fn upload_document(
        &self,
        user_id: &UserId,
        document: &NewDocument,
    ) -> Result<(), Error> {
        let user_id = *user_id;
        let body = document.to_api()?;
        self.client
            .call::<endpoints::UploadCustomerDocument>(move |api| {
                crate::convert::boxed(|| {
                    api.upload_customer_document()
                        .user_id(user_id.get())
                        .body(body.clone())
                        .send()
                })
            })
            .await?;
        Ok(())
    }

    /// Find User (path, keys and response inferred; see [`Customer`]).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a key set to an empty text; see [`Error`].
    pub async fn find(&self, lookup: &CustomerLookup) -> Result<Customer, Error> {
        let (email, external_id, user_id) = lookup.to_api()?;
        data::<endpoints::FindUser, _>(&self.client, move |api| {
            crate::convert::boxed(|| {
                api.find_user()
                    .maybe(email.clone(), |request, email| request.email(email))
                    .maybe(external_id.clone(), |request, id| request.external_id(id))
                    .maybe(user_id, |request, id| request.user_id(id))
                    .send()
            })
        })
        .await
    }

    /// List customers (path and shape inferred): every customer of the integration, a page
    /// at a time; see [`List`].
    pub fn list(&self) -> List<Customer> {
        paged!(self, ListCustomers, list_customers)
    }
}

impl Kyc {
    /// Retrieve KYC/KYB verification status (`GET /kyc/check`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn get(&self, user_id: &UserId) -> Result<KycCheck, Error> {
        let id = user_id.get();
        let op = <endpoints::CheckKyc as cryptopocket_api::Endpoint>::OPERATION.id;
        let parts = self
            .client
            .call::<endpoints::CheckKyc>(move |api| {
                crate::convert::boxed(|| api.check_kyc().user_id(id).send())
            })
            .await?;
        KycCheck::from_api(op, (*user_id, required(parts.data, op)?))
    }

    /// Follows the customer's verification until it is final (valid, or a failure the
    /// docs name): a [`Watch`] of [`get`](Self::get), as
    /// [`OnRamp::watch`](crate::onramp::OnRamp::watch) gives for payments. A status this
    /// version does not know is never taken as final.
    pub fn watch(&self, user_id: &UserId) -> Watch<KycCheck> {
        watching!(self, user_id)
    }

    /// Create enhanced verification link (`POST /onboarding-form`; marked "testing" in
    /// the docs).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn create_link(&self, user_id: &UserId) -> Result<OnboardingLink, Error> {
        let body = types::CreateOnboardingFormRequest {
            user_id: user_id.get().into(),
        };
        send_body!(self, CreateOnboardingForm, create_onboarding_form, body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptopocket_api::Endpoint as _;

    fn refused(result: Result<impl fmt::Debug, Error>) -> String {
        match result {
            Err(Error::InvalidRequest(message)) => message,
            other => panic!("expected InvalidRequest, got {other:?}"),
        }
    }

    /// The documented Create customer example, built with the constructor alone.
    #[test]
    fn the_documented_request_is_the_constructor() {
        let body = NewCustomer::new("John", "john@example.com")
            .to_api()
            .unwrap();
        let documented: serde_json::Value = serde_json::from_str(include_str!(
            "../../../tests/fixtures/registerUser.request.json"
        ))
        .unwrap();
        assert_eq!(serde_json::to_value(&body).unwrap(), documented);
    }

    #[test]
    fn optional_fields_go_where_the_spec_puts_them() {
        let body = NewCustomer::new("Ana", "ana@example.com")
            .surname("García")
            .phone("+34600000000")
            .country("ES")
            .document(IdentityDocumentType::GovernmentId, "12345678Z")
            .external_id("cust-1")
            .callback_url("https://shop.example/kyc-done")
            .to_api()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            serde_json::json!({
                "name": "Ana", "email": "ana@example.com", "surname": "García",
                "phone": "+34600000000", "country": "ES", "document_type": "GOVERNMENT_ID",
                "document_number": "12345678Z", "external_id": "cust-1",
                "callback_url": "https://shop.example/kyc-done"
            })
        );
    }

    #[test]
    fn bad_input_is_refused_naming_the_field_not_the_value() {
        let cases = [
            (
                NewCustomer::new(" ", "ana@example.com"),
                "name must not be empty",
            ),
            (NewCustomer::new("Ana", ""), "email must not be empty"),
            (
                NewCustomer::new("Ana", "ana.example.com"),
                "email is not an e-mail",
            ),
            (NewCustomer::new("Ana", "ana@"), "email is not an e-mail"),
            (
                NewCustomer::new("Ana", "a b@example.com"),
                "email is not an e-mail",
            ),
            (
                NewCustomer::new("Ana", "ana@example.com").surname(""),
                "surname must not be empty",
            ),
            (
                NewCustomer::new("Ana", "ana@example.com").callback_url("ftp://x.example/"),
                "callback_url must be an http(s) URL",
            ),
            (
                NewCustomer::new("Ana", "ana@example.com").callback_url("/relative"),
                "callback_url is not a URL",
            ),
        ];
        for (customer, expected) in cases {
            let message = refused(customer.to_api());
            assert!(message.starts_with(expected), "{message}");
            assert!(!message.contains("example"), "{message}");
        }
    }

    /// The documented lengths, held by the generated types' checks, refuse before sending
    /// and name the field.
    #[test]
    fn a_company_is_held_to_the_documented_lengths() {
        let email = format!("{}@acme.example", "a".repeat(250));
        let message = refused(NewCompany::new(email, "Acme S.L.").to_api());
        assert!(message.starts_with("email: "), "{message}");
        let message = refused(NewCompany::new("ops@acme.example", "n".repeat(256)).to_api());
        assert!(message.starts_with("company_name: "), "{message}");
        let message = refused(NewCompany::new("ops@acme.example", " ").to_api());
        assert_eq!(message, "company_name must not be empty");
        assert!(
            NewCompany::new("ops@acme.example", "n".repeat(255))
                .to_api()
                .is_ok()
        );
    }

    #[test]
    fn a_delegated_registration_checks_photos_and_dates() {
        let image = "data:image/png;base64,iVBORw0KGgo=";
        let document = VerifiedDocument::new(IdentityDocumentType::Passport, "P1", image, image);
        let customer =
            NewDelegatedKycCustomer::new("Bob", "bob@example.com", "ES", document, image);
        let body =
            serde_json::to_value(customer.clone().birth_date("1990-01-31").to_api().unwrap())
                .unwrap();
        assert_eq!(body["document_type"], "PASSPORT");
        assert_eq!(body["document_front"], image);
        assert_eq!(body["birth_date"], "1990-01-31");
        assert!(body.get("surname").is_none(), "{body}");

        let message = refused(customer.clone().birth_date("31/01/1990").to_api());
        assert_eq!(message, "birth_date must be YYYY-MM-DD");
        let no_photo =
            VerifiedDocument::new(IdentityDocumentType::Passport, "P1", "C:\\a.png", image);
        let message = refused(
            NewDelegatedKycCustomer::new("Bob", "bob@example.com", "ES", no_photo, image).to_api(),
        );
        assert!(
            message.starts_with("document_front must be a data: URI"),
            "{message}"
        );
        let message = refused(
            NewDelegatedKycCustomer::new(
                "Bob",
                "bob@example.com",
                "",
                VerifiedDocument::new(IdentityDocumentType::Passport, "P1", image, image),
                image,
            )
            .to_api(),
        );
        assert_eq!(message, "country must not be empty");
    }

    /// The flags of a command line that flattens the inputs build what the builders build:
    /// the document's kind and number go together, a nested input's flags are the
    /// customer's, and a lookup needs a key.
    #[cfg(feature = "clap")]
    #[test]
    fn the_flags_build_what_the_builders_build() {
        use clap::Parser as _;

        #[derive(clap::Parser)]
        enum Cli {
            Register(NewCustomer),
            Delegated(NewDelegatedKycCustomer),
            Find(CustomerLookup),
        }
        let register = [
            "x",
            "register",
            "--name",
            "Ana",
            "--email",
            "ana@example.com",
        ];
        let with = |extra: &[&'static str]| [&register[..], extra].concat();
        let parsed =
            Cli::try_parse_from(with(&["--document-type", "DNI", "--document-number", "1Z"]));
        let built =
            NewCustomer::new("Ana", "ana@example.com").document(IdentityDocumentType::Dni, "1Z");
        assert!(matches!(parsed, Ok(Cli::Register(c)) if c == built));
        assert!(Cli::try_parse_from(with(&["--document-type", "DNI"])).is_err());
        assert!(
            Cli::try_parse_from(with(&["--document-type", "dni", "--document-number", "1"]))
                .is_err()
        );

        let image = "data:image/png;base64,iVBORw0KGgo=";
        let delegated = Cli::try_parse_from([
            "x",
            "delegated",
            "--name",
            "Bob",
            "--email",
            "bob@example.com",
            "--country",
            "ES",
            "--document-type",
            "PASSPORT",
            "--document-number",
            "P1",
            "--document-front",
            image,
            "--document-back",
            image,
            "--selfie",
            image,
            "--birth-date",
            "1990-01-31",
        ]);
        let document = VerifiedDocument::new(IdentityDocumentType::Passport, "P1", image, image);
        let built = NewDelegatedKycCustomer::new("Bob", "bob@example.com", "ES", document, image)
            .birth_date("1990-01-31");
        assert!(matches!(delegated, Ok(Cli::Delegated(c)) if c == built));

        assert!(Cli::try_parse_from(["x", "find"]).is_err());
        let find = Cli::try_parse_from(["x", "find", "--email", "a@b.c", "--user-id", "7"]);
        let built = CustomerLookup::by_email("a@b.c").user_id(&UserId::new(7));
        assert!(matches!(find, Ok(Cli::Find(l)) if l == built));
    }

    #[test]
    fn a_customer_record_is_the_crates_own() {
        let raw: types::Customer = serde_json::from_value(serde_json::json!({
            "id": "100067", "name": "Ana", "kyc_status": "valid", "type": "individual",
            "external_id": 42, "created_at": "2026-06-26 10:30:00"
        }))
        .unwrap();
        let customer = Customer::from_api(endpoints::ListCustomers::OPERATION.id, raw).unwrap();
        assert_eq!(customer.id, UserId::new(100_067));
        assert_eq!(customer.kyc_status, Some(KycStatus::Valid));
        assert_eq!(customer.kind, Some(CustomerKind::Individual));
        assert_eq!(customer.external_id.as_deref(), Some("42"));
        let json = serde_json::to_value(&customer).unwrap();
        assert_eq!(json["id"], 100_067);
        assert_eq!(json["type"], "individual");
        assert_eq!(json["created_at"], "2026-06-26T10:30:00Z");
    }
}

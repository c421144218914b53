//! Customers (individuals and companies) and their KYC/KYB.

use std::{fmt, num::NonZeroU64};

use chrono::{DateTime, Utc};
use cryptopocket_api::types;
use futures::{FutureExt as _, Stream};
use secrecy::SecretString;

use crate::{
    Client, Error,
    call::Effect,
    convert::{created_object, required, text},
    model::{KycStatus, UserId},
    pagination::{self, ListOptions, Page},
};

/// Customer registration and lookup; from [`Client::customers`].
#[derive(Debug, Clone)]
pub struct Customers {
    client: Client,
}

/// KYC and KYB status and links; from [`Client::kyc`].
#[derive(Debug, Clone)]
pub struct Kyc {
    client: Client,
}

impl Client {
    /// Registering, finding and listing customers, and uploading their documents.
    pub fn customers(&self) -> Customers {
        Customers {
            client: self.clone(),
        }
    }

    /// KYC/KYB verification status and the enhanced verification link.
    pub fn kyc(&self) -> Kyc {
        Kyc {
            client: self.clone(),
        }
    }
}

/// A registered individual customer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegisteredCustomer {
    /// Keep it: every later call names the customer by it.
    pub id: UserId,
    /// Send the customer here to complete KYC.
    pub kyc_form_url: String,
}

/// A registered company customer. Keep `kyb_link` and `password` safe: both are needed to
/// finish KYB, and the link stops working 90 days after creation (documented).
#[derive(Clone)]
pub struct RegisteredCompany {
    /// The company's customer id.
    pub id: UserId,
    /// The company's public UUID.
    pub uuid: uuid::Uuid,
    /// The KYB onboarding form.
    pub kyb_link: String,
    /// Opens the form; never printed by `Debug`.
    pub password: SecretString,
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

/// How to find one customer (Find User; lookup keys inferred). Set at least one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerLookup {
    /// By e-mail.
    pub email: Option<String>,
    /// By your reference.
    pub external_id: Option<String>,
    /// By id.
    pub user_id: Option<UserId>,
}

/// A customer's KYC (or a company's KYB) state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KycCheck {
    /// `valid` means payments may be created; see [`KycStatus::is_final`].
    pub status: KycStatus,
    /// The KYC form again, when the API sends it (inferred).
    pub kyc_form_url: Option<String>,
}

/// A link to the enhanced ("reinforced") verification, which raises a customer's limits
/// (the answer to `kyc_reinforced_required`). Response shape inferred.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OnboardingLink {
    /// Send the customer here.
    pub url: String,
    /// When the link stops working, if the API says.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Customers {
    /// Create customer (`POST /registerUser`). Sent at most once.
    ///
    /// # Errors
    ///
    /// `user_already_exists`, `email_not_allowed` (inferred from the company sibling) as
    /// [`Error::Api`]; see [`Error`].
    pub async fn register(
        &self,
        customer: &types::RegisterUserRequest,
    ) -> Result<RegisteredCustomer, Error> {
        const OP: &str = "registerUser";
        text("name", &customer.name)?;
        text("email", &customer.email)?;
        let body = customer.clone();
        let parts = self
            .client
            .call::<types::RegisterUserResponse, ()>(OP, Effect::Create, move |api| {
                api.register_user().body(body.clone()).send().boxed()
            })
            .await?;
        let user = created_object(parts.data, OP)?;
        Ok(RegisteredCustomer {
            id: UserId::new(user.id),
            kyc_form_url: user.kyc_form_url,
        })
    }

    /// Create customer with delegated KYC (`POST /registerUser/kyc-delegated`; body
    /// inferred). Returns the new customer and, when the API says, its KYC status.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn register_with_delegated_kyc(
        &self,
        customer: &types::RegisterUserKycDelegatedRequest,
    ) -> Result<(UserId, Option<KycStatus>), Error> {
        const OP: &str = "registerUserKycDelegated";
        let body = customer.clone();
        let parts = self
            .client
            .call::<types::RegisterUserKycDelegatedResponse, ()>(OP, Effect::Create, move |api| {
                api.register_user_kyc_delegated()
                    .body(body.clone())
                    .send()
                    .boxed()
            })
            .await?;
        let user = created_object(parts.data, OP)?;
        Ok((UserId::new(user.id), user.kyc_status.map(KycStatus::from)))
    }

    /// Create company customer (`POST /register/company`). Sent at most once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for an empty or over-long e-mail (254) or name (255), as
    /// documented; the API's `user_already_exists`, `email_not_allowed`, … as
    /// [`Error::Api`]; its 422 body as [`Error::Validation`].
    pub async fn register_company(
        &self,
        email: &str,
        company_name: &str,
    ) -> Result<RegisteredCompany, Error> {
        const OP: &str = "registerCompany";
        let email = types::RegisterCompanyRequestEmail::try_from(text("email", email)?)
            .map_err(|e| Error::InvalidRequest(format!("email: {e}")))?;
        let company_name =
            types::RegisterCompanyRequestCompanyName::try_from(text("company_name", company_name)?)
                .map_err(|e| Error::InvalidRequest(format!("company_name: {e}")))?;
        let body = types::RegisterCompanyRequest {
            email,
            company_name,
        };
        let parts = self
            .client
            .call::<types::RegisterCompanyResponse, types::ErrorResponse>(
                OP,
                Effect::Create,
                move |api| api.register_company().body(body.clone()).send().boxed(),
            )
            .await?;
        let company = created_object(parts.data, OP)?;
        Ok(RegisteredCompany {
            id: UserId::new(company.id),
            uuid: company.uuid,
            kyb_link: company.kyb_link,
            password: SecretString::from(company.password),
        })
    }

    /// Upload Customer Document (`POST /customers/{user_id}/documents`). `file` is a
    /// `data:{mime};base64,…` URI or a public `http(s)` URL the server fetches.
    ///
    /// # Errors
    ///
    /// `user_not_in_integration` (403), `user_not_found` (404) and `invalid_file` (422) as
    /// [`Error::Api`]; see [`Error`].
    pub async fn upload_document(
        &self,
        user_id: UserId,
        kind: types::DocumentType,
        file: &str,
    ) -> Result<(), Error> {
        let file = text("file", file)?;
        if !(file.starts_with("data:")
            || file.starts_with("https://")
            || file.starts_with("http://"))
        {
            return Err(Error::InvalidRequest(
                "file must be a data: URI with base64 content or an http(s) URL".into(),
            ));
        }
        let body = types::UploadCustomerDocumentRequest { file, type_: kind };
        self.client
            .call::<types::UploadCustomerDocumentResponse, types::ErrorResponse>(
                "uploadCustomerDocument",
                Effect::Create,
                move |api| {
                    api.upload_customer_document()
                        .user_id(user_id.get())
                        .body(body.clone())
                        .send()
                        .boxed()
                },
            )
            .await?;
        Ok(())
    }

    /// Find User (path and keys inferred).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when `lookup` sets no key; see [`Error`].
    pub async fn find(&self, lookup: &CustomerLookup) -> Result<types::Customer, Error> {
        const OP: &str = "findUser";
        if lookup.email.is_none() && lookup.external_id.is_none() && lookup.user_id.is_none() {
            return Err(Error::InvalidRequest(
                "find a customer by email, external_id or user_id: none was given".into(),
            ));
        }
        let lookup = lookup.clone();
        let parts = self
            .client
            .call::<types::FindUserSuccess, types::ErrorResponse>(OP, Effect::Read, move |api| {
                let mut request = api.find_user();
                if let Some(email) = &lookup.email {
                    request = request.email(email.clone());
                }
                if let Some(external_id) = &lookup.external_id {
                    request = request.external_id(external_id.clone());
                }
                if let Some(user_id) = lookup.user_id {
                    request = request.user_id(user_id.get());
                }
                request.send().boxed()
            })
            .await?;
        required(parts.data, OP)
    }

    /// One page of List customers, at the server's default page size; see
    /// [`list_page_with`](Self::list_page_with).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn list_page(&self, page: NonZeroU64) -> Result<Page<types::Customer>, Error> {
        self.list_page_with(page, ListOptions::default()).await
    }

    /// One page of List customers, `options.per_page` items long.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for a page size out of range; see [`Error`].
    pub async fn list_page_with(
        &self,
        page: NonZeroU64,
        options: ListOptions,
    ) -> Result<Page<types::Customer>, Error> {
        let per_page = options.per_page_param()?;
        let parts = self
            .client
            .call::<types::ListCustomersResponse, ()>("listCustomers", Effect::Read, move |api| {
                let mut request = api.list_customers().page(page);
                if let Some(per_page) = per_page {
                    request = request.per_page(per_page);
                }
                request.send().boxed()
            })
            .await?;
        Page::from_parts(pagination::number(page), parts, Ok)
    }

    /// Every customer of the integration, page after page, at the server's default page
    /// size; see [`list_with`](Self::list_with).
    pub fn list(&self) -> impl Stream<Item = Result<types::Customer, Error>> + Send + 'static {
        self.list_with(ListOptions::default())
    }

    /// Every customer of the integration, page after page, `options.per_page` a page. A page
    /// size out of range is the stream's only item, [`Error::InvalidRequest`].
    pub fn list_with(
        &self,
        options: ListOptions,
    ) -> impl Stream<Item = Result<types::Customer, Error>> + Send + 'static {
        pagination::items(
            "listCustomers",
            (self.clone(), options),
            |(customers, options), page| {
                async move { customers.list_page_with(page, options).await }.boxed()
            },
        )
    }
}

impl Kyc {
    /// Retrieve KYC/KYB verification status (`GET /kyc/check`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn status(&self, user_id: UserId) -> Result<KycCheck, Error> {
        const OP: &str = "checkKyc";
        let parts = self
            .client
            .call::<types::KycCheckResponse, ()>(OP, Effect::Read, move |api| {
                api.check_kyc().user_id(user_id.get()).send().boxed()
            })
            .await?;
        let kyc = required(parts.data, OP)?;
        Ok(KycCheck {
            status: KycStatus::from(kyc.kyc_status),
            kyc_form_url: kyc.kyc_form_url,
        })
    }

    /// Create enhanced verification link (`POST /onboarding-form`; marked "testing" in
    /// the docs).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn enhanced_verification_link(
        &self,
        user_id: UserId,
    ) -> Result<OnboardingLink, Error> {
        const OP: &str = "createOnboardingForm";
        let body = types::CreateOnboardingFormRequest {
            user_id: user_id.get(),
        };
        let parts = self
            .client
            .call::<types::CreateOnboardingFormResponse, ()>(OP, Effect::Create, move |api| {
                api.create_onboarding_form()
                    .body(body.clone())
                    .send()
                    .boxed()
            })
            .await?;
        let form = created_object(parts.data, OP)?;
        Ok(OnboardingLink {
            url: form.onboarding_link,
            expires_at: form.expires_at,
        })
    }
}

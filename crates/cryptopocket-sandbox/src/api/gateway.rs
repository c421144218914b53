//! What the end user sees: the payment gateway, and the KYC and onboarding pages. The
//! `/sandbox/*` routes that do what [`Control`] does over HTTP are in `control.rs`.

use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::control::{Control, ControlError};
use crate::input::{Fields, PathParam, RawBody};
use crate::server::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/gateway/payment/{payment_id}",
            get(payment_page).post(pay_guided),
        )
        .route("/gateway/{method}", get(direct_page).post(pay_direct))
        .route("/gateway/{form}/{id}", get(form_page))
}

/// An HTML page of the sandbox's, answered with `status`.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}<p><small>CryptoPocket sandbox: nothing here moves \
         real money.</small></p></body></html>"
    );
    (status, Html(html)).into_response()
}

/// HTML-escapes text that came from a client.
pub(crate) fn escape(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| match c {
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '&' => "&amp;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}

fn summary(app: &AppState, payment_id: &str) -> Option<String> {
    app.shared.world(|world, _| {
        world.payments.get(payment_id).map(|p| {
            format!(
                "<p>{} {} for {} {} — status <b>{}</b></p>",
                p.fiat_amount,
                escape(&p.fiat_symbol),
                p.coin_amount,
                escape(&p.coin_symbol),
                p.status.as_str()
            )
        })
    })
}

/// The payment page of a payment (`choose`: with the guided gateway's choice of
/// method), or 404.
fn payment_form(app: &AppState, id: Option<String>, choose: bool) -> Response {
    let Some(summary) = id.and_then(|id| summary(app, &id)) else {
        return page(StatusCode::NOT_FOUND, "Unknown payment", "");
    };
    let select = if choose {
        "<select name=\"payment_type\"><option>card</option><option>psd2</option>\
         <option>transfer</option></select>"
    } else {
        ""
    };
    let form = format!("{summary}<form method=\"post\">{select}<button>Pay</button></form>");
    page(StatusCode::OK, "Pay with CryptoPocket", &form)
}

async fn payment_page(State(app): State<AppState>, PathParam(id): PathParam) -> Response {
    payment_form(&app, Some(id.unwrap_or_default()), true)
}

async fn direct_page(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    payment_form(&app, payment_by_token(&app, query.as_deref()), false)
}

/// The payer's form post: `payment_type=card|psd2|transfer`.
async fn pay_guided(
    State(app): State<AppState>,
    PathParam(id): PathParam,
    RawBody(body): RawBody,
) -> Response {
    let form = Fields::form(&body);
    let method = form.text("payment_type").ok().flatten();
    paid_page(
        &app,
        Some(id.unwrap_or_default()),
        &method.unwrap_or_else(|| "card".into()),
    )
}

async fn pay_direct(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    paid_page(&app, payment_by_token(&app, query.as_deref()), "card")
}

fn payment_by_token(app: &AppState, query: Option<&str>) -> Option<String> {
    let token = Fields::query(query).text("token").ok().flatten()?;
    app.shared.world(|world, _| {
        world
            .payments
            .values()
            .find(|p| p.gateway_token.to_string() == token)
            .map(|p| p.id.clone())
    })
}

/// Pays the payment as the payer would, and thanks them, or says why it cannot be paid
/// (404 for an unknown payment, 409 for one that is not waiting to be paid).
fn paid_page(app: &AppState, id: Option<String>, method: &str) -> Response {
    let Some(id) = id else {
        return page(StatusCode::NOT_FOUND, "Unknown payment", "");
    };
    match Control::new(app.shared.clone()).pay(&id, method) {
        Ok(()) => page(
            StatusCode::OK,
            "Thank you",
            &summary(app, &id).unwrap_or_default(),
        ),
        Err(e) => {
            let status = match e {
                ControlError::NotFound { .. } => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            let why = format!("<p>{}</p>", escape(&e.to_string()));
            page(status, "This payment cannot be paid", &why)
        }
    }
}

async fn form_page(path: Result<Path<(String, String)>, PathRejection>) -> Response {
    let form = path.map(|Path((form, _id))| form).unwrap_or_default();
    let text = match form.as_str() {
        "kyc" => {
            "The customer's KYC form. In the sandbox it fills itself in: the status \
                  moves from unused to processing to valid as time passes."
        }
        "kyb" => "The company's KYB form. In the sandbox it fills itself in.",
        "onboarding" => {
            "The enhanced verification. In the sandbox it completes itself after \
                         the KYC delay, which lifts kyc_reinforced_required."
        }
        _ => return page(StatusCode::NOT_FOUND, "Unknown page", ""),
    };
    page(
        StatusCode::OK,
        "CryptoPocket verification",
        &format!("<p>{text}</p>"),
    )
}

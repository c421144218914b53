//! The buy flow against a real CryptoPocket environment: authenticate, register a
//! customer, check KYC, quote, create a guided payment, follow it.
//!
//! ```sh
//! CRYPTOPOCKET_API_KEY=… CRYPTOPOCKET_API_SECRET=… cargo run -p cryptopocket --example buy_flow
//! ```
//!
//! `CRYPTOPOCKET_BASE_URL` selects the server (the public sandbox when unset). Without
//! credentials the example says so and stops.

use std::time::Duration;

use cryptopocket::{
    Client, Error,
    api::types::RegisterUserRequest,
    model::PaymentType,
    onramp::{NewGuidedPayment, QuoteRequest},
};
use rust_decimal::Decimal;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = match Client::from_env() {
        Ok(client) => client,
        Err(Error::Config(why)) => {
            eprintln!("{why}: set CRYPTOPOCKET_API_KEY and CRYPTOPOCKET_API_SECRET first");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    println!(
        "1. talking to {} as {}",
        client.base_url(),
        client.api_key()
    );

    let email = format!("buyer+{}@example.com", std::process::id());
    let request = RegisterUserRequest::builder()
        .name("John")
        .email(email.clone())
        .try_into()?;
    let customer = client.customers().register(&request).await?;
    println!(
        "2. registered {email} as customer {}; KYC form: {}",
        customer.id, customer.kyc_form_url
    );

    let kyc = client.kyc().status(customer.id).await?;
    println!("3. KYC is {}", kyc.status);
    if !kyc.status.is_approved() {
        println!("   complete KYC at the form above, then run the example again");
        return Ok(());
    }

    let quote = client
        .onramp()
        .quote(&QuoteRequest {
            amount: Decimal::new(100, 0),
            symbol: "USDC".into(),
            chain: Some("polygon".into()),
            payment_type: PaymentType::Card,
        })
        .await?;
    println!("4. 100 EUR buys {} USDC", quote.coin_amount);

    let payment = client
        .onramp()
        .create_guided_payment(&NewGuidedPayment {
            user_id: customer.id,
            fiat_amount: Decimal::new(100, 0),
            coin_symbol: "USDC".into(),
            coin_chain: "polygon".into(),
            payment_type: None,
            external_id: Some(format!("example-{}", std::process::id())),
        })
        .await?;
    println!("5. pay at {}", payment.gateway_url);

    for _ in 0..60 {
        let state = client.onramp().payment(&payment.payment_id).await?;
        println!(
            "6. payment {} is {} ({} {})",
            state.id, state.status, state.fiat_amount, state.fiat_symbol
        );
        if state.status.is_final() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
    println!("   still not final after 10 minutes; follow it later with its id");
    Ok(())
}

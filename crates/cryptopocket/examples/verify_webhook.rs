//! Verifies a webhook delivery the way a receiving service would, offline: a delivery is
//! signed with `WebhookSigner` (as CryptoPocket signs them), then checked and decoded.
//!
//! ```sh
//! cargo run -p cryptopocket --example verify_webhook
//! ```

use std::time::{SystemTime, UNIX_EPOCH};

use cryptopocket::webhooks::{WebhookEvent, WebhookSigner, WebhookVerifier};
use secrecy::SecretString;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = || SecretString::from("your_api_secret");
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs())?;

    // What CryptoPocket would POST to your endpoint (the payload shape is inferred).
    let body = br#"{"type":"COINS_SENT","payment_id":"aBcDeFgHiJkLmNoPqRsTuVwXy","status":"coins_sent","txid":"0xabc"}"#;
    let headers = WebhookSigner::new("your_api_key", secret()).sign(body, now);
    println!(
        "delivery: X-API-Key={} X-Timestamp={} X-Signature={}…",
        headers.api_key,
        headers.timestamp,
        &headers.signature[..12]
    );

    // What your endpoint does with the raw body and the headers.
    let verifier = WebhookVerifier::new(secret()).expect_api_key("your_api_key");
    match verifier.verify_event(&headers.to_header_map(), body)? {
        WebhookEvent::CoinsSent(event) => {
            println!(
                "verified: payment {} sent, txid {:?}",
                event.payment_id, event.txid
            );
        }
        other => println!("verified: {:?}", other.event_type()),
    }

    // A tampered body is refused.
    let tampered = body.replace(b"0xabc", b"0xevil");
    let refused = verifier.verify_event(&headers.to_header_map(), &tampered);
    println!(
        "tampered body: {}",
        refused.err().map(|e| e.to_string()).unwrap_or_default()
    );
    Ok(())
}

/// `[u8]::replace` for the example's one substitution.
trait Replace {
    fn replace(&self, from: &[u8], to: &[u8]) -> Vec<u8>;
}

impl Replace for [u8] {
    fn replace(&self, from: &[u8], to: &[u8]) -> Vec<u8> {
        match self.windows(from.len()).position(|w| w == from) {
            Some(at) => [&self[..at], to, &self[at + from.len()..]].concat(),
            None => self.to_vec(),
        }
    }
}

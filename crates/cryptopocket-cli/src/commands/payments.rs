//! `cryptopocket payments`: the OnRamp operations, and `watch`, which follows a payment until
//! the crypto is sent.

use std::{io::IsTerminal as _, time::Duration};

use clap::{Args, Subcommand};
use cryptopocket::{
    model::{PaymentId, PaymentStatus, PaymentType, UserId},
    onramp::{NewGuidedPayment, NewPayment, OnRamp, Payment, QuoteRequest},
};
use futures::{TryStreamExt as _, future};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rust_decimal::Decimal;

use super::{Context, ListArgs};
use crate::{
    args::seconds,
    exit::{Failure, Lookup},
    output::{Printer, redact},
};

/// Buying crypto: methods, quotes, payments, and following a payment to the end.
#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// The payment methods available, e.g. LATAM methods by country (List payment methods).
    #[command(after_help = "Example:\n  cryptopocket payments methods --country AR")]
    Methods {
        /// Country, ISO 3166-1 alpha-2.
        #[arg(long)]
        country: Option<String>,
        /// Fiat currency, e.g. EUR.
        #[arg(long, value_name = "CURRENCY")]
        fiat_symbol: Option<String>,
    },

    /// What an amount in euros buys (Get Quote).
    #[command(
        after_help = "Example:\n  cryptopocket payments quote --amount 100 --symbol USDC --chain polygon"
    )]
    Quote {
        /// Euros to spend.
        #[arg(long)]
        amount: Decimal,
        /// The token to buy, e.g. USDC.
        #[arg(long)]
        symbol: String,
        /// Its chain (the API defaults to polygon).
        #[arg(long)]
        chain: Option<String>,
        /// How the customer would pay: card, paypal, psd2, transfer, or a LATAM method.
        #[arg(long, default_value = "card")]
        payment_type: PaymentType,
    },

    /// Create a payment to a wallet you give (Create Payment Intend). Prints the payment page,
    /// or the bank details for a transfer.
    #[command(
        after_help = "Example:\n  cryptopocket payments create --user-id 100067 --fiat-amount 150.50 --coin-symbol USDC \\\n    --coin-chain polygon --wallet 0x52908400098527886E0F7030069857D2E4169EE7 --external-id order-17"
    )]
    Create(Create),

    /// Create a payment where the customer picks method and wallet on CryptoPocket's page
    /// (Create guided payment intent; EUR only).
    #[command(
        after_help = "Example:\n  cryptopocket payments create-guided --user-id 100067 --fiat-amount 100 --coin-symbol USDC --coin-chain polygon"
    )]
    CreateGuided {
        /// The customer (KYC must be valid).
        #[arg(long)]
        user_id: UserId,
        /// Euros the customer pays.
        #[arg(long)]
        fiat_amount: Decimal,
        /// The token to buy, e.g. USDC.
        #[arg(long)]
        coin_symbol: String,
        /// Its chain, e.g. polygon.
        #[arg(long)]
        coin_chain: String,
        /// Preselected method (the API defaults to card).
        #[arg(long)]
        payment_type: Option<PaymentType>,
        /// Your own reference; set it, so a payment can be found again.
        #[arg(long)]
        external_id: Option<String>,
    },

    /// One payment, amounts in major units (Retrieve payment).
    #[command(after_help = "Example:\n  cryptopocket payments get aBcDeFgHiJkLmNoPqRsTuVwXy")]
    Get {
        /// The payment id.
        payment_id: PaymentId,
    },

    /// Every payment (List on-ramp transactions), or only those with your reference
    /// (--external-id): how to find a payment whose creation failed half-way.
    #[command(
        after_help = "Example:\n  cryptopocket payments list --limit 50\n  cryptopocket payments list --external-id order-17"
    )]
    List {
        /// Only payments with this external id (your reference, as given to `create`). The
        /// API has no such filter: every page is read and filtered here, and --limit counts
        /// the payments kept.
        #[arg(long, value_name = "ID")]
        external_id: Option<String>,
        /// How many to show, and how many a page.
        #[command(flatten)]
        list: ListArgs,
    },

    /// Poll a payment until it reaches a final status (coins_sent): a spinner on a terminal,
    /// one line per status change otherwise (one JSON object per change with --json).
    #[command(
        after_help = "Example:\n  cryptopocket payments watch aBcDeFgHiJkLmNoPqRsTuVwXy --interval 10"
    )]
    Watch {
        /// The payment id.
        payment_id: PaymentId,
        /// Seconds between polls (fractions allowed).
        #[arg(
            long,
            value_name = "SECONDS",
            value_parser = seconds,
            allow_negative_numbers = true,
            default_value = "5"
        )]
        interval: Duration,
    },
}

/// Create Payment Intend's fields.
#[derive(Debug, Args)]
pub struct Create {
    /// The customer (KYC must be valid).
    #[arg(long)]
    user_id: UserId,
    /// What the customer pays, in major units (150.50 means 150.50 euros).
    #[arg(long)]
    fiat_amount: Decimal,
    /// The fiat currency.
    #[arg(long, value_name = "CURRENCY", default_value = "EUR")]
    fiat_symbol: String,
    /// The token to buy, e.g. USDC.
    #[arg(long)]
    coin_symbol: String,
    /// Its chain, e.g. polygon (not needed for LATAM methods).
    #[arg(long)]
    coin_chain: Option<String>,
    /// Where the tokens go.
    #[arg(long)]
    wallet: String,
    /// card, paypal, psd2, transfer, or a LATAM method.
    #[arg(long)]
    payment_type: Option<PaymentType>,
    /// Your own reference; set it, so a payment can be found again.
    #[arg(long)]
    external_id: Option<String>,
    /// Where the customer is sent when the payment step ends.
    #[arg(long, value_name = "URL")]
    callback_url: Option<String>,
}

/// Runs a `payments` subcommand.
pub async fn run(context: &Context, command: PaymentsCommand) -> Result<(), Failure> {
    let onramp = context.client()?.onramp();
    let printer = &context.printer;
    match command {
        PaymentsCommand::Methods {
            country,
            fiat_symbol,
        } => {
            let methods = onramp
                .payment_methods(country.as_deref(), fiat_symbol.as_deref())
                .await?;
            printer.list(&methods);
        }
        PaymentsCommand::Quote {
            amount,
            symbol,
            chain,
            payment_type,
        } => {
            let request = QuoteRequest {
                amount,
                symbol,
                chain,
                payment_type,
            };
            printer.record(&onramp.quote(&request).await?);
        }
        PaymentsCommand::Create(c) => {
            let payment = NewPayment {
                user_id: c.user_id,
                fiat_amount: c.fiat_amount,
                fiat_symbol: c.fiat_symbol,
                coin_symbol: c.coin_symbol,
                coin_chain: c.coin_chain,
                wallet: c.wallet,
                payment_type: c.payment_type,
                external_id: c.external_id,
                callback_url: c.callback_url,
            };
            let created = onramp.create_payment(&payment).await.map_err(|e| {
                Failure::from(e).look_up_with(Lookup::payment(payment.external_id.as_deref()))
            })?;
            printer.record(&created);
        }
        PaymentsCommand::CreateGuided {
            user_id,
            fiat_amount,
            coin_symbol,
            coin_chain,
            payment_type,
            external_id,
        } => {
            let payment = NewGuidedPayment {
                user_id,
                fiat_amount,
                coin_symbol,
                coin_chain,
                payment_type,
                external_id,
            };
            let created = onramp.create_guided_payment(&payment).await.map_err(|e| {
                Failure::from(e).look_up_with(Lookup::payment(payment.external_id.as_deref()))
            })?;
            printer.record(&created);
        }
        PaymentsCommand::Get { payment_id } => {
            printer.record(&onramp.payment(&payment_id).await?);
        }
        PaymentsCommand::List { external_id, list } => {
            let payments = onramp.payments_with(list.options());
            let payments = match external_id {
                Some(wanted) => {
                    let kept = payments.try_filter(move |payment| {
                        future::ready(payment.external_id.as_deref() == Some(wanted.as_str()))
                    });
                    list.collect(kept).await?
                }
                None => list.collect(payments).await?,
            };
            printer.list(&payments);
        }
        PaymentsCommand::Watch {
            payment_id,
            interval,
        } => watch(printer, &onramp, &payment_id, interval).await?,
    }
    Ok(())
}

/// Polls until the payment's status is final. On a terminal (and without `--json`) a spinner
/// shows the current status; otherwise each new status is printed once.
async fn watch(
    printer: &Printer,
    onramp: &OnRamp,
    id: &PaymentId,
    interval: Duration,
) -> Result<(), Failure> {
    let spinner = (!printer.json && std::io::stdout().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stdout());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix}: {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_prefix(redact(&id.to_string()));
        bar.set_message("checking…");
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    });
    let mut last: Option<PaymentStatus> = None;
    loop {
        let payment = match onramp.payment(id).await {
            Ok(payment) => payment,
            Err(error) => {
                if let Some(bar) = &spinner {
                    bar.abandon();
                }
                return Err(error.into());
            }
        };
        if last.as_ref() != Some(&payment.status) {
            let text = describe(&payment);
            match &spinner {
                // indicatif draws on its own: what it draws is redacted here.
                Some(bar) => bar.set_message(redact(&text)),
                None => printer.line(&text, &payment),
            }
            last = Some(payment.status.clone());
        }
        if payment.status.is_final() {
            if let Some(bar) = &spinner {
                bar.finish();
            }
            return Ok(());
        }
        tokio::time::sleep(interval).await;
    }
}

/// `coins_sent (txid 0x…)`, or just the status.
fn describe(payment: &Payment) -> String {
    match &payment.txid {
        Some(txid) if payment.status.is_final() => format!("{} (txid {txid})", payment.status),
        _ => payment.status.to_string(),
    }
}

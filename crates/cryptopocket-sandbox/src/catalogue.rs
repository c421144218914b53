//! The sandbox's fixed facts and rules: which coins it sells at which price, which payment
//! methods exist, which e-mail domains are refused, and the magic values that make a
//! documented error happen. Everything here is the sandbox's choice; the README's
//! "Sandbox rules" table repeats it for users.

use rust_decimal::Decimal;

/// One coin on one chain.
pub(crate) struct Coin {
    pub(crate) symbol: &'static str,
    pub(crate) chain: &'static str,
    pub(crate) name: &'static str,
    pub(crate) decimals: u32,
    /// Off pairs are listed but refused with `coin_not_supported`, as an inactive pair is.
    pub(crate) active: bool,
    /// Price of one token in EUR, in cents.
    pub(crate) eur_cents: i64,
}

pub(crate) const COINS: &[Coin] = &[
    coin("USDC", "polygon", "USD Coin", 6, true, 92),
    coin("USDT", "polygon", "Tether USD", 6, true, 92),
    coin("USDC", "ethereum", "USD Coin", 6, true, 92),
    coin("ETH", "ethereum", "Ether", 18, true, 310_000),
    coin("ETH", "polygon", "Ether (bridged)", 18, true, 310_000),
    coin("BTC", "bitcoin", "Bitcoin", 8, true, 8_500_000),
    coin("BUSD", "bsc", "Binance USD", 18, true, 92),
    coin("USDC", "solana", "USD Coin", 6, false, 92),
];

const fn coin(
    symbol: &'static str,
    chain: &'static str,
    name: &'static str,
    decimals: u32,
    active: bool,
    eur_cents: i64,
) -> Coin {
    Coin {
        symbol,
        chain,
        name,
        decimals,
        active,
        eur_cents,
    }
}

/// The coin on that chain, compared without regard to case.
pub(crate) fn coin_on(symbol: &str, chain: &str) -> Option<&'static Coin> {
    COINS
        .iter()
        .find(|c| c.symbol.eq_ignore_ascii_case(symbol) && c.chain.eq_ignore_ascii_case(chain))
}

/// The first chain a symbol is sold on, for requests that leave the chain out.
pub(crate) fn coin_any_chain(symbol: &str) -> Option<&'static Coin> {
    COINS
        .iter()
        .find(|c| c.symbol.eq_ignore_ascii_case(symbol) && c.active)
}

/// What one token costs in `fiat`. The sandbox knows EUR and a made-up ARS rate (the
/// documented off-ramp example pays 4800.24 for 20 BUSD, which fits ARS, not EUR).
pub(crate) fn price(coin: &Coin, fiat: &str) -> Option<Decimal> {
    let eur = Decimal::new(coin.eur_cents, 2);
    match fiat.to_ascii_uppercase().as_str() {
        "EUR" => Some(eur),
        "ARS" => Some((eur * ARS_PER_EUR).round_dp(2)),
        _ => None,
    }
}

/// An amount in `fiat` as EUR, at the sandbox's rates; `None` for a fiat it does not know.
pub(crate) fn in_eur(amount: Decimal, fiat: &str) -> Option<Decimal> {
    match fiat.to_ascii_uppercase().as_str() {
        "EUR" => Some(amount),
        "ARS" => Some((amount / ARS_PER_EUR).round_dp(2)),
        _ => None,
    }
}

/// An amount in EUR as `fiat`.
pub(crate) fn from_eur(amount: Decimal, fiat: &str) -> Option<Decimal> {
    match fiat.to_ascii_uppercase().as_str() {
        "EUR" => Some(amount),
        "ARS" => Some((amount * ARS_PER_EUR).round_dp(2)),
        _ => None,
    }
}

const ARS_PER_EUR: Decimal = Decimal::from_parts(26_088, 0, 0, false, 2);

/// The sandbox's fee on purchases: 1.5 %, taken before converting.
pub(crate) fn tokens_for(fiat_amount: Decimal, unit_price: Decimal) -> Decimal {
    let net = fiat_amount * Decimal::new(985, 3);
    (net / unit_price).round_dp(6)
}

/// A payment method the integration can offer.
pub(crate) struct Method {
    pub(crate) payment_type: &'static str,
    pub(crate) name: &'static str,
    pub(crate) country: &'static str,
    pub(crate) fiat_symbol: &'static str,
    /// Whether it answers with a gateway URL (`card`, `psd2`, LATAM methods) rather than
    /// transfer instructions.
    pub(crate) gateway: bool,
    /// Disabled methods are refused with `method_not_allowed`.
    pub(crate) enabled: bool,
}

pub(crate) const METHODS: &[Method] = &[
    method("card", "Card", "ES", "EUR", true, true),
    method("psd2", "Bank payment (PSD2)", "ES", "EUR", true, true),
    method("transfer", "Bank transfer", "ES", "EUR", false, true),
    method("paypal", "PayPal", "ES", "EUR", true, false),
    method("KHIPU", "Khipu", "CL", "CLP", true, true),
    method("MERCADOPAGO", "Mercado Pago", "AR", "ARS", true, true),
];

const fn method(
    payment_type: &'static str,
    name: &'static str,
    country: &'static str,
    fiat_symbol: &'static str,
    gateway: bool,
    enabled: bool,
) -> Method {
    Method {
        payment_type,
        name,
        country,
        fiat_symbol,
        gateway,
        enabled,
    }
}

/// The method of that name; case does not matter (the guide writes `PSD2`, `TRANSFER`).
pub(crate) fn method_named(payment_type: &str) -> Option<&'static Method> {
    METHODS
        .iter()
        .find(|m| m.payment_type.eq_ignore_ascii_case(payment_type))
}

/// Disposable-address domains: registering one is `email_not_allowed`.
pub(crate) const DISPOSABLE_DOMAINS: &[&str] = &[
    "mailinator.com",
    "10minutemail.com",
    "guerrillamail.com",
    "temp-mail.org",
    "yopmail.com",
];

/// Customers registered with an e-mail at this domain fail KYC.
pub(crate) const KYC_FAIL_DOMAIN: &str = "kyc-fail.example";

/// Customers registered with an e-mail at this domain are banned.
pub(crate) const BANNED_DOMAIN: &str = "banned.example";

/// A payment to this wallet makes the card/psd2 provider fail (`error_payment_creation`).
pub(crate) const FAILING_WALLET: &str = "0x000000000000000000000000000000000000dEaD";

/// The customer that belongs to another integration (`user_not_in_integration`).
pub(crate) const FOREIGN_CUSTOMER_ID: u64 = 900_001;

/// The domain part of an address, lower-cased; `None` when it is not an address at all.
pub(crate) fn email_domain(email: &str) -> Option<String> {
    let (local, domain) = email.rsplit_once('@')?;
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    valid.then(|| domain.to_ascii_lowercase())
}

/// The bank accounts of the sandbox's integrations: (IBAN, BIC, holder, ours?).
pub(crate) const ACCOUNTS: &[(&str, &str, &str, bool)] = &[
    (
        "ES9121000418450200051332",
        "CAIXESBBXXX",
        "CryptoPocket Sandbox SL",
        true,
    ),
    (
        "DE89370400440532013000",
        "COBADEFFXXX",
        "CryptoPocket Sandbox SL",
        true,
    ),
    (
        "GB29NWBK60161331926819",
        "NWBKGB2LXXX",
        "Another Integration Ltd",
        false,
    ),
];

/// The IBAN a transfer payer sends money from.
pub(crate) const PAYER_IBAN: &str = "ES7620770024003102575766";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ibans_are_valid() {
        for (iban, ..) in ACCOUNTS {
            assert_eq!(crate::world::iban_problem(iban), None, "{iban}");
        }
        assert_eq!(crate::world::iban_problem(PAYER_IBAN), None);
    }

    #[test]
    fn email_domains() {
        assert_eq!(
            email_domain("a@Mailinator.com").as_deref(),
            Some("mailinator.com")
        );
        assert_eq!(email_domain("no-at-sign"), None);
        assert_eq!(email_domain("a@localhost"), None);
        assert_eq!(email_domain("a b@x.com"), None);
    }

    #[test]
    fn the_documented_pair_is_sold() {
        let usdc = coin_on("usdc", "POLYGON").unwrap();
        assert!(usdc.active);
        assert_eq!(
            tokens_for(Decimal::new(100, 0), price(usdc, "EUR").unwrap()).round_dp(2),
            Decimal::new(10707, 2)
        );
        assert!(!coin_on("USDC", "solana").unwrap().active);
    }
}

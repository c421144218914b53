//! Building the `cryptopocket::Client` from the global options.

use std::time::Duration;

use cryptopocket::{Client, Environment};
use secrecy::SecretString;

use crate::{
    args::{EnvName, Global},
    exit::Failure,
};

/// The crate's default per-attempt timeout; `--timeout` only ever lowers it.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);
/// The crate's default connect timeout; `--timeout` only ever lowers it.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A client for the configured server and credentials, capturing exchanges when
/// `CRYPTOPOCKET_CAPTURE` names a directory.
pub fn client(global: &Global) -> Result<Client, Failure> {
    let api_key = api_key(global).ok_or_else(|| {
        not_utf8(
            global.api_key.is_none(),
            "CRYPTOPOCKET_API_KEY",
            "--api-key",
        )
        .unwrap_or_else(|| {
            Failure::usage("no API key")
                .with_code("missing_credentials")
                .hint("set CRYPTOPOCKET_API_KEY (or pass --api-key)")
        })
    })?;
    let api_secret = api_secret(global)?;
    let mut builder = Client::builder()
        .environment(environment(global)?)
        .credentials(api_key, secrecy::ExposeSecret::expose_secret(&api_secret))
        .user_agent(concat!("cryptopocket-cli/", env!("CARGO_PKG_VERSION")));
    // The same opt-in as `Client::from_env`: every exchange written, redacted, to this dir.
    if let Some(dir) = std::env::var_os(cryptopocket::ENV_CAPTURE).filter(|d| !d.is_empty()) {
        builder = builder.capture(dir);
    }
    if let Some(host) = global
        .allow_http_host
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        builder = builder.allow_plain_http_to(host);
        warn_plain_http(global, host);
    }
    if let Some(timeout) = global.timeout {
        builder = builder
            .deadline(timeout)
            .attempt_timeout(timeout.min(ATTEMPT_TIMEOUT))
            .connect_timeout(timeout.min(CONNECT_TIMEOUT));
    }
    Ok(builder.build()?)
}

/// The API key, when one is configured.
pub fn api_key(global: &Global) -> Option<&str> {
    global.api_key.as_deref().filter(|k| !k.trim().is_empty())
}

/// The API secret, or a usage failure saying how to give it.
pub fn api_secret(global: &Global) -> Result<SecretString, Failure> {
    global
        .api_secret
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(SecretString::from)
        .ok_or_else(|| {
            not_utf8(
                global.api_secret.is_none(),
                "CRYPTOPOCKET_API_SECRET",
                "--api-secret",
            )
            .unwrap_or_else(|| {
                Failure::usage("no API secret")
                    .with_code("missing_credentials")
                    .hint("set CRYPTOPOCKET_API_SECRET (or pass --api-secret)")
            })
        })
}

/// When a credential was not given (`unset`) and its `variable` is set but is not UTF-8
/// (`std::env::var` then reads as unset): a failure naming the variable, rather than "no
/// API key", which would send the user looking for a variable that is there. The value is
/// never shown.
fn not_utf8(unset: bool, variable: &str, flag: &str) -> Option<Failure> {
    let value = std::env::var_os(variable).filter(|_| unset)?;
    value.to_str().is_none().then(|| {
        Failure::usage(format!("{variable} is set but is not valid UTF-8"))
            .with_code("missing_credentials")
            .hint(format!(
                "set {variable} to the value as text (or pass {flag})"
            ))
    })
}

/// Which server: `--env` wins over a base URL taken from the environment; `--env production`
/// needs a base URL, since production's is given to each integrator.
fn environment(global: &Global) -> Result<Environment, Failure> {
    let base_url = global.base_url.clone().filter(|u| !u.trim().is_empty());
    match (global.environment, base_url) {
        (Some(EnvName::Sandbox), Some(_)) if global.base_url_from_flag => Err(Failure::usage(
            "--env sandbox and --base-url both name a server: give one of them",
        )),
        (Some(EnvName::Sandbox), _) => Ok(Environment::Sandbox),
        (Some(EnvName::Production), Some(url)) => Ok(Environment::Production(url)),
        (Some(EnvName::Production), None) => Err(Failure::usage(
            "--env production needs the production URL CryptoPocket gave you: pass --base-url \
             or set CRYPTOPOCKET_BASE_URL",
        )),
        (None, Some(url)) => Ok(Environment::Custom(url)),
        (None, None) => Ok(Environment::Sandbox),
    }
}

/// The warning each use of `--allow-http-host` gets, when the base URL is plain http to that
/// host: the secret and the token cross the network unencrypted. (The crate logs the same
/// warning, seen with `-v`; under `--json` only that log says it, so that stderr stays JSON.)
fn warn_plain_http(global: &Global, host: &str) {
    let Some(url) = global.base_url.as_deref() else {
        return;
    };
    let lower = url.trim().to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("http://") else {
        return;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let url_host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, h)| h)
        .split(':')
        .next()
        .unwrap_or_default();
    if url_host == host.to_ascii_lowercase() && !global.json {
        crate::output::write_stderr(&format!(
            "warning: plain http to {url_host}: the API secret and session tokens cross the \
             network unencrypted (allowed by --allow-http-host / CRYPTOPOCKET_ALLOW_HTTP_HOST)\n"
        ));
    }
}

//! `cargo xtask test`: start what the tests need, run the workspace's tests, stop it again.
//!
//! Today that is one PostgreSQL server (`scripts/postgres.sh`), whose URL the tests read from
//! `CRYPTOPOCKET_TEST_POSTGRES_URL`. The server is stopped whatever happens to the tests (a
//! failure, an error starting cargo); a run killed outright leaves it running, and the next
//! `start` stops and replaces it.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};

/// The variable the PostgreSQL tests read.
pub const POSTGRES_URL_VAR: &str = "CRYPTOPOCKET_TEST_POSTGRES_URL";

/// Stops the server when dropped, so that every way out of [`run`] stops it.
struct Postgres<'a> {
    root: &'a Path,
}

impl Postgres<'_> {
    fn script(&self, action: &str) -> Command {
        let mut command = Command::new("bash");
        command
            .arg(self.root.join("scripts/postgres.sh"))
            .arg(action)
            .current_dir(self.root);
        command
    }
}

impl Drop for Postgres<'_> {
    fn drop(&mut self) {
        match self.script("stop").status() {
            Ok(status) if status.success() => eprintln!("xtask test: PostgreSQL stopped"),
            Ok(status) => eprintln!("xtask test: stopping PostgreSQL failed ({status})"),
            Err(e) => eprintln!("xtask test: could not run scripts/postgres.sh stop: {e}"),
        }
    }
}

/// Starts PostgreSQL, runs `cargo test --workspace ARGS` with its URL exported, stops it.
pub fn run(root: &Path, args: &[OsString]) -> Result<()> {
    let postgres = Postgres { root };
    let started = postgres
        .script("start")
        .output()
        .context("could not run scripts/postgres.sh start")?;
    if !started.status.success() {
        bail!(
            "scripts/postgres.sh start failed ({}):\n{}",
            started.status,
            String::from_utf8_lossy(&started.stderr)
        );
    }
    eprint!("{}", String::from_utf8_lossy(&started.stderr));
    let stdout = String::from_utf8_lossy(&started.stdout);
    let url = stdout
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{POSTGRES_URL_VAR}=")))
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .with_context(|| format!("scripts/postgres.sh start printed no {POSTGRES_URL_VAR}"))?
        .to_owned();

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["test", "--workspace"])
        .args(args)
        .env(POSTGRES_URL_VAR, &url)
        .current_dir(root)
        .status()
        .context("could not run cargo test")?;
    drop(postgres);
    if !status.success() {
        bail!("cargo test --workspace failed ({status})");
    }
    Ok(())
}

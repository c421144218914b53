//! The xtask binary as CI and developers run it: exit codes, messages, and files left alone.

use std::{fs, path::Path, process::Command};

const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

fn real_spec() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    fs::read_to_string(root.join("openapi/cryptopocket.yaml")).unwrap()
}

fn run(args: &[&str]) -> (bool, String) {
    let output = Command::new(XTASK).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.success(), stderr)
}

#[test]
fn a_broken_spec_is_reported_and_the_generated_file_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    let out = dir.path().join("generated.rs");
    // A dangling $ref: progenitor would panic on it.
    let broken = real_spec().replacen(
        "$ref: \"#/components/schemas/Payment\"",
        "$ref: \"#/components/schemas/Paymnet\"",
        1,
    );
    assert_ne!(
        broken,
        real_spec(),
        "the spec no longer has the text this test edits"
    );
    fs::write(&spec, broken).unwrap();
    fs::write(&out, "checked-in code").unwrap();

    let (ok, stderr) = run(&[
        "gen",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);

    assert!(!ok);
    assert!(
        stderr.contains("error[ref-resolves] /components/schemas/")
            && stderr.contains("`#/components/schemas/Paymnet` does not resolve"),
        "{stderr}"
    );
    assert!(stderr.contains("was left untouched"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(fs::read_to_string(&out).unwrap(), "checked-in code");
}

#[test]
fn unparsable_yaml_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    fs::write(&spec, "openapi: 3.0.3\npaths: [unclosed\n").unwrap();
    let (ok, stderr) = run(&["lint", "--spec", spec.to_str().unwrap()]);
    assert!(!ok);
    assert!(stderr.contains("cannot parse"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn check_fails_on_a_stale_file_and_passes_once_regenerated() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.yaml");
    let out = dir.path().join("generated.rs");
    fs::write(&spec, real_spec()).unwrap();
    fs::write(&out, "stale").unwrap();
    let args = |check: bool| {
        let mut args = vec!["gen", "--spec", spec.to_str().unwrap()];
        args.extend(["--out", out.to_str().unwrap()]);
        if check {
            args.push("--check");
        }
        args.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let run_owned = |args: Vec<String>| run(&args.iter().map(String::as_str).collect::<Vec<_>>());

    let (ok, stderr) = run_owned(args(true));
    assert!(!ok);
    assert!(
        stderr.contains("-stale") && stderr.contains("is stale"),
        "{stderr}"
    );
    assert_eq!(
        fs::read_to_string(&out).unwrap(),
        "stale",
        "--check never writes"
    );

    let (ok, stderr) = run_owned(args(false));
    assert!(ok, "{stderr}");
    let first = fs::read(&out).unwrap();
    let (ok, stderr) = run_owned(args(true));
    assert!(ok, "{stderr}");

    // A second generation is byte-identical and does not touch the file.
    let (ok, stderr) = run_owned(args(false));
    assert!(ok && stderr.contains("unchanged"), "{stderr}");
    assert_eq!(fs::read(&out).unwrap(), first);
}

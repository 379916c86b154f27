//! The bad-spec fixtures under tests/fixtures/bad (each a small spec with exactly one problem,
//! and a sibling `.expected` holding a substring of the message, `file:line:col` included) and
//! the good specs under specs/.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use provision_spec::{load, parse_str};
use std::fs;
use std::path::{Path, PathBuf};

const BAD: &str = "../../tests/fixtures/bad";
const SPECS: &str = "../../specs";

/// Every `<name>.yaml` under the bad-fixture directory, sorted by name.
fn bad_fixtures() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = fs::read_dir(BAD)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

#[test]
fn every_bad_fixture_fails_with_its_expected_message() {
    let fixtures = bad_fixtures();
    assert!(fixtures.len() >= 40, "only {} fixtures", fixtures.len());
    let mut failures = Vec::new();
    for (name, path) in &fixtures {
        let expected_path = path.with_extension("expected");
        let expected = fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let expected = expected.trim_end_matches('\n');
        assert!(!expected.is_empty(), "{name}.expected is empty");
        match load(path) {
            Ok(_) => failures.push(format!("{name}: loaded without error")),
            Err(errors) => {
                let text = errors.to_string();
                if !text.contains(expected) {
                    failures.push(format!(
                        "{name}: message does not contain\n    {expected}\n  it is\n    {}",
                        text.replace('\n', "\n    ")
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn bad_fixture_messages() {
    let mut all = String::new();
    for (name, path) in bad_fixtures() {
        let source = fs::read_to_string(&path).unwrap();
        let shown = Path::new("tests/fixtures/bad").join(format!("{name}.yaml"));
        let errors = parse_str(&source, &shown).expect_err(&name);
        all.push_str(&format!("=== {name}\n{errors}\n\n"));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn shipped_specs_load() {
    for name in ["prod", "staging", "dev"] {
        let path = Path::new(SPECS).join(format!("{name}.yaml"));
        let loaded = load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let spec = &loaded.spec;
        assert_eq!(spec.stack, "pyairtable");
        assert_eq!(spec.environment, name);
        assert_eq!(spec.stack_id(), format!("pyairtable-{name}"));
        assert_eq!(
            spec.region_names(),
            ["us-east-1", "ap-southeast-1", "eu-west-1"]
        );
        assert_eq!(spec.primary_region(), "us-east-1");
        assert_eq!(loaded.sha256.len(), 64);
        assert_eq!(loaded.source, fs::read_to_string(&path).unwrap());
    }
    let prod = load(&Path::new(SPECS).join("prod.yaml")).unwrap().spec;
    assert!(prod.regions.values().all(|r| r.azs == 3));
    assert_eq!(prod.network.nat_gateways, provision_spec::NatMode::PerAz);
    let dev = load(&Path::new(SPECS).join("dev.yaml")).unwrap().spec;
    assert!(dev.regions.values().all(|r| r.azs == 2));
    assert_eq!(dev.network.nat_gateways, provision_spec::NatMode::Single);
    assert_eq!(dev.regions["eu-west-1"].cidr.to_string(), "10.11.0.0/16");
}

#[test]
fn missing_file_is_an_error_without_location() {
    let e = load(Path::new("../../specs/does-not-exist.yaml")).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("../../specs/does-not-exist.yaml: error: cannot read the spec file"),
        "{text}"
    );
}

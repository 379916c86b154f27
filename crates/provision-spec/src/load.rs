//! Read, parse and validate a spec file.
//!
//! The order of checks, each stage stopping the next when it fails:
//! 1. YAML syntax (yaml-rust2, while building the [`SourceIndex`]): one error.
//! 2. Shape of the stream: a second document, an empty spec, a top level that is not a mapping,
//!    duplicate keys (all of them).
//! 3. Types (serde_yaml_ng into [`Spec`], unknown fields denied): one error.
//! 4. Semantics ([`crate::validate`]): every problem at once.

use crate::error::{Location, SpecError, SpecErrors};
use crate::locate::{RootKind, SourceIndex};
use crate::model::Spec;
use crate::regions::closest;
use crate::validate::validate;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A validated spec with where it came from.
#[derive(Debug, Clone)]
pub struct LoadedSpec {
    pub spec: Spec,
    /// The path as given.
    pub path: PathBuf,
    /// Hex SHA-256 of the file's bytes (recorded in the state).
    pub sha256: String,
    /// The file's text.
    pub source: String,
}

/// Read, parse and validate the spec at `path`. Messages name the file as `path` is written.
pub fn load(path: &Path) -> Result<LoadedSpec, SpecErrors> {
    let bytes = std::fs::read(path).map_err(|e| {
        SpecErrors::single(
            SpecError::new(path, None, format!("cannot read the spec file: {e}")).with_help(
                "check the path; the specs of this repository are in specs/, e.g. specs/prod.yaml",
            ),
        )
    })?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let source = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let text = String::from_utf8_lossy(valid);
        let line = text.matches('\n').count() + 1;
        let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        SpecErrors::single(
            SpecError::new(
                path,
                Some(Location::new(line, col)),
                "the spec file is not valid UTF-8",
            )
            .with_help("save the file as UTF-8"),
        )
    })?;
    let spec = parse_str(&source, path)?;
    Ok(LoadedSpec {
        spec,
        path: path.to_path_buf(),
        sha256,
        source,
    })
}

/// Parse and validate spec text. `path_for_messages` is only used to name the file in errors.
pub fn parse_str(source: &str, path_for_messages: &Path) -> Result<Spec, SpecErrors> {
    let file = path_for_messages;
    let index = SourceIndex::build(source).map_err(|e| {
        let help = if e.message.contains("tab") {
            "YAML does not allow tabs for indentation; indent with spaces"
        } else {
            "fix the YAML syntax at this point: indent with spaces, align the keys of a \
             mapping, and close every bracket and quote"
        };
        SpecErrors::single(
            SpecError::new(
                file,
                Some(e.location),
                format!("invalid YAML: {}", e.message),
            )
            .with_help(help),
        )
    })?;
    check_shape(&index, file)?;

    let spec: Spec =
        serde_yaml_ng::from_str(source).map_err(|e| SpecErrors::single(from_serde(&e, file)))?;

    let mut errors = SpecErrors(validate(&spec, &index, file));
    if errors.is_empty() {
        Ok(spec)
    } else {
        errors.sort();
        Err(errors)
    }
}

/// What serde cannot report well: the stream's shape and duplicate keys.
fn check_shape(index: &SourceIndex, file: &Path) -> Result<(), SpecErrors> {
    if let Some(loc) = index.extra_document {
        return Err(SpecErrors::single(
            SpecError::new(
                file,
                Some(loc),
                "the spec file holds more than one YAML document",
            )
            .with_help("keep one document per file: remove this `---` and what follows, or move it to its own spec file"),
        ));
    }
    match index.root {
        RootKind::Mapping => {}
        RootKind::Empty => {
            return Err(SpecErrors::single(
                SpecError::new(file, Some(index.root_location), "the spec is empty").with_help(
                    "a spec needs at least `stack`, `environment` and `regions`; \
                     specs/dev.yaml is a small example",
                ),
            ))
        }
        kind @ (RootKind::Sequence | RootKind::Scalar) => {
            let what = if kind == RootKind::Sequence {
                "a list"
            } else {
                "a single value"
            };
            return Err(SpecErrors::single(
                SpecError::new(
                    file,
                    Some(index.root_location),
                    format!("the top level of the spec must be a mapping, but it is {what}"),
                )
                .with_help(
                    "write `key: value` lines at the top level: `stack:`, `environment:`, \
                     `regions:`, …; specs/dev.yaml is a small example",
                ),
            ));
        }
    }
    if !index.duplicates.is_empty() {
        let errs = index
            .duplicates
            .iter()
            .map(|d| {
                SpecError::new(
                    file,
                    Some(d.second),
                    format!(
                        "duplicate key `{}`: `{}` is already defined at line {}",
                        d.key, d.path, d.first.line
                    ),
                )
                .with_field(d.path.clone())
                .with_help(
                    "each key may appear once in a mapping; merge the two entries or remove one",
                )
            })
            .collect();
        return Err(SpecErrors(errs));
    }
    Ok(())
}

/// Turn a serde_yaml_ng error into a spec error: its location, a message that names the field,
/// and help that says what is expected.
fn from_serde(e: &serde_yaml_ng::Error, file: &Path) -> SpecError {
    let location = e.location().map(|l| Location::new(l.line(), l.column()));
    let mut text = e.to_string();
    if let Some(l) = e.location() {
        let suffix = format!(" at line {} column {}", l.line(), l.column());
        if let Some(stripped) = text.strip_suffix(&suffix) {
            text = stripped.to_string();
        }
    }
    let (path, body) = split_path(&text);
    let err = |message: String, help: String| {
        let mut se = SpecError::new(file, location, message).with_help(help);
        if let Some(p) = path {
            se = se.with_field(p);
        }
        se
    };
    let in_path = path.map(|p| format!(" in `{p}`")).unwrap_or_default();

    if let Some(rest) = body.strip_prefix("unknown field ") {
        let (name, expected) = split_expected(rest);
        let fields = backticked(expected);
        let bare = name.trim_matches('`');
        let listing = if fields.is_empty() {
            "this mapping takes no fields".to_string()
        } else {
            format!("the fields here are {}", quote_list(&fields))
        };
        let help = if bare == "<<" {
            "YAML merge keys (`<<: *anchor`) are not supported in specs; write the fields out \
             (plain anchors and aliases work)"
                .to_string()
        } else {
            match closest(bare, fields.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`? {listing}; see docs/spec.md"),
                None => format!("{listing}; see docs/spec.md"),
            }
        };
        return err(format!("unknown field {name}{in_path}"), help);
    }
    if let Some(rest) = body.strip_prefix("unknown variant ") {
        let (name, expected) = split_expected(rest);
        let values = backticked(expected);
        let bare = name.trim_matches('`');
        let listing = format!("expected {}", quote_list(&values));
        let help = match closest(bare, values.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`? {listing}"),
            None => listing,
        };
        let what = path.map(|p| format!(" for `{p}`")).unwrap_or_default();
        return err(format!("unknown value {name}{what}"), help);
    }
    if let Some(rest) = body.strip_prefix("missing field ") {
        let name = rest.trim().trim_matches('`');
        return err(
            format!("missing field `{name}`{in_path}"),
            format!("add `{name}:`; see docs/spec.md for what it takes"),
        );
    }
    let message = match path {
        Some(p) => format!("invalid value for `{p}`: {body}"),
        None => body.to_string(),
    };
    err(message, help_for(path))
}

/// serde_yaml_ng prefixes the message with the path of the value (`regions.us-east-1: …`) when
/// it is not the root.
fn split_path(text: &str) -> (Option<&str>, &str) {
    match text.split_once(": ") {
        Some((p, rest)) if !p.is_empty() && !p.contains(['`', ' ', ',']) => (Some(p), rest),
        _ => (None, text),
    }
}

/// "`x`, expected one of `a`, `b`" → ("`x`", "one of `a`, `b`").
fn split_expected(rest: &str) -> (&str, &str) {
    match rest.split_once(", expected ") {
        Some((name, exp)) => (name, exp),
        None => match rest.split_once(", there are no ") {
            Some((name, _)) => (name, ""),
            None => (rest, ""),
        },
    }
}

/// Every `backticked` word of `s`.
fn backticked(s: &str) -> Vec<String> {
    s.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a field expects, for type errors.
fn help_for(path: Option<&str>) -> String {
    let path = path.unwrap_or("");
    let last = path.rsplit('.').next().unwrap_or("");
    let last = last.split('[').next().unwrap_or(last);
    if path.starts_with("timeouts.") {
        return "write a duration: a number followed by `s`, `m` or `h`, e.g. `90s`, `30m`, \
                `2h`, `1h30m` (at most 24h)"
            .to_string();
    }
    match last {
        "cidr" | "public_access_cidrs" => {
            "write an IPv4 CIDR block, e.g. `10.0.0.0/16`".to_string()
        }
        "azs" => "write a whole number of availability zones from 1 to 6".to_string(),
        "tags" | "labels" => "write a mapping of names to text values".to_string(),
        "regions" => "write a mapping of region names to `{ role, cidr, azs }`".to_string(),
        "certificates" => {
            "write a mapping of region to ACM certificate ARN, or `request: dns`".to_string()
        }
        _ => "see docs/spec.md for the type and format of every field".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs(src: &str) -> String {
        parse_str(src, Path::new("t.yaml")).unwrap_err().to_string()
    }

    const BASE: &str = "stack: demo\nenvironment: dev\nregions:\n  us-east-1: { role: primary, cidr: 10.0.0.0/16 }\n";

    #[test]
    fn parses_a_minimal_spec() {
        let s = parse_str(BASE, Path::new("t.yaml")).unwrap();
        assert_eq!(s.stack_id(), "demo-dev");
        assert_eq!(s.regions["us-east-1"].azs, 3);
    }

    #[test]
    fn unknown_field_suggests() {
        let e = errs(&BASE.replace("cidr:", "cdir:"));
        assert!(
            e.contains("t.yaml:4:31: error: unknown field `cdir` in `regions.us-east-1`"),
            "{e}"
        );
        assert!(e.contains("help: did you mean `cidr`?"), "{e}");
    }

    #[test]
    fn unknown_variant_suggests() {
        let e = errs(&BASE.replace("role: primary", "role: primery"));
        assert!(
            e.contains("unknown value `primery` for `regions.us-east-1.role`"),
            "{e}"
        );
        assert!(e.contains("did you mean `primary`?"), "{e}");
    }

    #[test]
    fn missing_field() {
        let e = errs("stack: demo\nregions: {}\n");
        assert!(
            e.contains("t.yaml:1:1: error: missing field `environment`"),
            "{e}"
        );
    }

    #[test]
    fn type_errors_name_the_field() {
        let e = errs(&BASE.replace("10.0.0.0/16", "10.0.0/16"));
        assert!(
            e.contains("invalid value for `regions.us-east-1.cidr`"),
            "{e}"
        );
        assert!(e.contains("help: write an IPv4 CIDR block"), "{e}");
    }

    #[test]
    fn null_sections_are_defaults() {
        let s = parse_str(
            &format!("{BASE}tags:\nnetwork:\ntimeouts:\neks:\n"),
            Path::new("t.yaml"),
        )
        .unwrap();
        assert!(s.tags.is_empty());
        assert!(s.eks.is_none());
    }

    #[test]
    fn tabs_and_merge_keys_get_specific_help() {
        let e = errs("stack: demo\n\tenvironment: dev\n");
        assert!(e.contains("help: YAML does not allow tabs"), "{e}");
        let e = errs(
            "stack: demo\nenvironment: dev\nregions:\n  us-east-1: &r { role: primary, cidr: 10.0.0.0/16 }\n  eu-west-1:\n    <<: *r\n    role: secondary\n",
        );
        assert!(e.contains("t.yaml:6:5: error: unknown field `<<`"), "{e}");
        assert!(e.contains("merge keys"), "{e}");
    }

    #[test]
    fn anchors_and_aliases_work() {
        let src = "stack: demo\nenvironment: dev\ntags: &t { A: b }\nregions:\n  us-east-1: { role: primary, cidr: 10.0.0.0/16, azs: &n 2 }\n  eu-west-1: { role: secondary, cidr: 10.1.0.0/16, azs: *n }\n";
        let s = parse_str(src, Path::new("t.yaml")).unwrap();
        assert_eq!(s.regions["eu-west-1"].azs, 2);
    }

    #[test]
    fn more_than_one_document() {
        let e = errs(&format!("{BASE}---\nstack: other\n"));
        assert!(
            e.contains("t.yaml:5:1: error: the spec file holds more than one YAML document"),
            "{e}"
        );
    }
}

//! Property tests: whatever the text, parsing and validating a spec returns a value or errors
//! with a location, and never panics. Inputs are the shipped specs with random edits (lines
//! dropped, duplicated or cut, characters replaced or inserted: the mistakes people make) and
//! arbitrary text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use provision_spec::parse_str;
use std::path::Path;

const PROD: &str = include_str!("../../../specs/prod.yaml");
const DEV: &str = include_str!("../../../specs/dev.yaml");

/// Characters that matter to YAML and to the spec's own syntax.
const NASTY: &[char] = &[
    ':', '-', ' ', '\t', '\n', '{', '}', '[', ']', '"', '\'', '#', '&', '*', '!', '|', '>', '%',
    '@', '`', '$', ',', '?', '0', '9', '.', '/', 'é', '\u{0}', '\u{feff}',
];

#[derive(Debug, Clone)]
enum Edit {
    DropLine(usize),
    DuplicateLine(usize),
    CutLine(usize, usize),
    Replace(usize, char),
    Insert(usize, char),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::DropLine),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(l, c)| Edit::CutLine(l, c)),
        (any::<usize>(), prop::sample::select(NASTY)).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<usize>(), prop::sample::select(NASTY)).prop_map(|(i, c)| Edit::Insert(i, c)),
    ]
}

fn apply(source: &str, edits: &[Edit]) -> String {
    let mut lines: Vec<String> = source.lines().map(str::to_string).collect();
    for e in edits {
        if lines.is_empty() {
            break;
        }
        let n = lines.len();
        match e {
            Edit::DropLine(l) => {
                lines.remove(l % n);
            }
            Edit::DuplicateLine(l) => {
                let line = lines[l % n].clone();
                lines.insert(l % n, line);
            }
            Edit::CutLine(l, c) => {
                let line = &mut lines[l % n];
                let chars: Vec<char> = line.chars().collect();
                *line = chars[..c % (chars.len() + 1)].iter().collect();
            }
            Edit::Replace(i, ch) | Edit::Insert(i, ch) => {
                let mut text: Vec<char> = lines.join("\n").chars().collect();
                if text.is_empty() {
                    continue;
                }
                let at = i % text.len();
                if matches!(e, Edit::Replace(..)) {
                    text[at] = *ch;
                } else {
                    text.insert(at, *ch);
                }
                lines = text
                    .into_iter()
                    .collect::<String>()
                    .lines()
                    .map(str::to_string)
                    .collect();
            }
        }
    }
    lines.join("\n") + "\n"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn edited_specs_never_panic(prod in any::<bool>(), edits in prop::collection::vec(edit(), 1..6)) {
        let text = apply(if prod { PROD } else { DEV }, &edits);
        if let Err(errors) = parse_str(&text, Path::new("fuzz.yaml")) {
            // Every error names the file, with a line and column when it has one.
            prop_assert!(errors.to_string().contains("fuzz.yaml"));
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = parse_str(&text, Path::new("fuzz.yaml"));
    }

    #[test]
    fn yaml_shaped_text_never_panics(
        parts in prop::collection::vec(prop::sample::select(vec![
            "stack: ", "environment: ", "regions:\n", "  us-east-1: ", "{ role: primary, ",
            "cidr: 10.0.0.0/16", ", azs: 3 }\n", "kafka:\n", "  mirror: ", "[", "]", "{", "}",
            "- ", "\n", "  ", "&a ", "*a", "<<: *a\n", "${us-east-1/ec2.vpc/main#id}", "null",
            "~", "\"", "'", "#", "---\n", "...\n", "? ", ": ", "!!str ", "1e400", "-0",
            "resources:\n", "  us-east-1/ec2.route/x:\n", "    properties: ",
        ]), 0..40)
    ) {
        let _ = parse_str(&parts.concat(), Path::new("fuzz.yaml"));
    }
}

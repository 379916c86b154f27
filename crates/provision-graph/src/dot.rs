//! Graphviz DOT export of a [`ResourceGraph`].

use crate::graph::ResourceGraph;
use provision_core::Address;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One `cluster_<region>` subgraph per region (sorted), nodes sorted inside it and labelled
/// `<kind>\n<name>`, then every edge from dependant to dependency, sorted.
pub(crate) fn to_dot(graph: &ResourceGraph) -> String {
    let mut regions: BTreeMap<&str, Vec<&Address>> = BTreeMap::new();
    let addresses = graph.addresses();
    for a in &addresses {
        regions.entry(a.region()).or_default().push(a);
    }

    let mut out = String::new();
    out.push_str("digraph provision {\n");
    out.push_str("  rankdir=\"BT\";\n");
    out.push_str("  node [shape=\"box\", fontname=\"Helvetica\"];\n");
    for (region, nodes) in &regions {
        // `write!` to a String cannot fail.
        let _ = writeln!(out, "  subgraph {} {{", quote(&format!("cluster_{region}")));
        let _ = writeln!(out, "    label={};", quote(region));
        for a in nodes {
            let _ = writeln!(
                out,
                "    {} [label=\"{}\\n{}\"];",
                quote(&a.to_string()),
                escape(a.kind()),
                escape(a.name())
            );
        }
        out.push_str("  }\n");
    }
    for (from, to) in graph.edges() {
        let _ = writeln!(
            out,
            "  {} -> {};",
            quote(&from.to_string()),
            quote(&to.to_string())
        );
    }
    out.push_str("}\n");
    out
}

fn quote(s: &str) -> String {
    format!("\"{}\"", escape(s))
}

/// Escape for the inside of a DOT double-quoted string.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn two_regions_and_global() {
        let nodes = [
            ("us-east-1/ec2.vpc/main", vec![]),
            ("us-east-1/ec2.subnet/a", vec!["us-east-1/ec2.vpc/main"]),
            ("eu-west-1/ec2.vpc/main", vec![]),
            ("eu-west-1/ec2.subnet/a", vec!["eu-west-1/ec2.vpc/main"]),
            (
                "us-east-1/ec2.vpc_peering/eu-west-1",
                vec!["us-east-1/ec2.vpc/main", "eu-west-1/ec2.vpc/main"],
            ),
            (
                "global/route53.record/api-eu",
                vec!["eu-west-1/ec2.subnet/a"],
            ),
        ];
        let g = ResourceGraph::build(
            nodes
                .iter()
                .map(|(n, deps)| (a(n), deps.iter().map(|d| a(d)).collect())),
        )
        .unwrap();
        let dot = g.to_dot();
        insta::assert_snapshot!(dot);
        // Built from a differently ordered input, the text is the same.
        let again = ResourceGraph::build(
            nodes
                .iter()
                .rev()
                .map(|(n, deps)| (a(n), deps.iter().rev().map(|d| a(d)).collect())),
        )
        .unwrap();
        assert_eq!(again.to_dot(), dot);
    }

    #[test]
    fn escapes_quotes_and_backslashes() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}

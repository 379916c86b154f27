//! A path → location index of a YAML document, built from yaml-rust2's event parser.
//!
//! serde tells us *that* a value is wrong only while deserializing; semantic checks run on the
//! typed [`Spec`](crate::Spec) afterwards and need to find the value again. The index maps a
//! dotted path to the 1-based position of the key and of the value:
//!
//! - mapping keys join with `.`: `regions.us-east-1.cidr`, `eks.node_groups.general.min`;
//! - list items are `[i]`: `database.replicas[0]`;
//! - the root is the empty path.
//!
//! The value of a mapping or list is located at its first child (its first key or item), or at
//! the container itself when it is empty. While building, the index also records what serde
//! cannot see or does not report well: the kind of the root node, duplicate keys, and a second
//! document in the stream.

use crate::error::Location;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// What the top of the document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootKind {
    /// No document, or a document that is only `null`, `~` or nothing (comments only).
    Empty,
    Mapping,
    Sequence,
    Scalar,
}

/// A key that appears twice in the same mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The dotted path of the key, e.g. `regions.us-east-1`.
    pub path: String,
    pub key: String,
    pub first: Location,
    pub second: Location,
}

/// A YAML syntax error as yaml-rust2 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub location: Location,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct SourceIndex {
    keys: HashMap<String, Location>,
    values: HashMap<String, Location>,
    /// Kind and position of the root node.
    pub root: RootKind,
    pub root_location: Location,
    pub duplicates: Vec<DuplicateKey>,
    /// Where a second document starts, if the stream holds more than one.
    pub extra_document: Option<Location>,
}

impl SourceIndex {
    /// Index `source`. Fails on a YAML syntax error.
    pub fn build(source: &str) -> Result<Self, SyntaxError> {
        let mut b = Builder::default();
        let mut parser = Parser::new_from_str(source);
        parser.load(&mut b, true).map_err(|e| SyntaxError {
            location: to_location(e.marker()),
            message: e.info().to_string(),
        })?;
        Ok(SourceIndex {
            keys: b.keys,
            values: b.values,
            root: b.root.unwrap_or(RootKind::Empty),
            root_location: b.root_location.unwrap_or(Location::new(1, 1)),
            duplicates: b.duplicates,
            extra_document: b.extra_document,
        })
    }

    /// An index that knows nothing: every lookup falls back to 1:1.
    pub fn empty() -> Self {
        SourceIndex {
            keys: HashMap::new(),
            values: HashMap::new(),
            root: RootKind::Empty,
            root_location: Location::new(1, 1),
            duplicates: Vec::new(),
            extra_document: None,
        }
    }

    /// The position of the key of `path` (None for list items and the root).
    pub fn key(&self, path: &str) -> Option<Location> {
        self.keys.get(path).copied()
    }

    /// The position of the value at `path`.
    pub fn value(&self, path: &str) -> Option<Location> {
        self.values.get(path).copied()
    }

    /// Where to point at the value of `path`: the value, else its key, else the nearest
    /// ancestor that exists in the file (a defaulted field points at its section), else 1:1.
    pub fn locate(&self, path: &str) -> Location {
        self.find(path, |p| self.value(p).or_else(|| self.key(p)))
    }

    /// Where to point at the key of `path`: the key, else the value (list items), else the
    /// nearest ancestor, else 1:1.
    pub fn locate_key(&self, path: &str) -> Location {
        self.find(path, |p| self.key(p).or_else(|| self.value(p)))
    }

    fn find(&self, path: &str, get: impl Fn(&str) -> Option<Location>) -> Location {
        let mut p = path;
        loop {
            if let Some(loc) = get(p) {
                return loc;
            }
            match parent(p) {
                Some(up) => p = up,
                None => return Location::new(1, 1),
            }
        }
    }
}

/// `a.b[2]` → `a.b`; `a.b` → `a`; `a` → `` (the root); `` → None.
fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    match path.rfind(['.', '[']) {
        Some(i) => Some(&path[..i]),
        None => Some(""),
    }
}

/// Join a mapping key onto a path.
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// Join a list index onto a path.
pub fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

fn to_location(m: &Marker) -> Location {
    // yaml-rust2 markers: line is 1-based, col is 0-based.
    Location::new(m.line().max(1), m.col() + 1)
}

enum FrameKind {
    Map {
        next_is_key: bool,
        key: String,
        seen: HashMap<String, Location>,
    },
    Seq {
        index: usize,
    },
}

struct Frame {
    path: String,
    start: Location,
    /// True until the first child is seen; the container's value is located at its first child.
    awaiting_first_child: bool,
    /// True when this container is itself a mapping key (complex key): it is not indexed.
    is_key: bool,
    kind: FrameKind,
}

#[derive(Default)]
struct Builder {
    keys: HashMap<String, Location>,
    values: HashMap<String, Location>,
    root: Option<RootKind>,
    root_location: Option<Location>,
    duplicates: Vec<DuplicateKey>,
    extra_document: Option<Location>,
    documents: usize,
    stack: Vec<Frame>,
}

/// Where a node that starts now belongs.
enum Slot {
    Root,
    Key { path: String },
    Value { path: String },
}

impl Builder {
    /// Place a node that starts at `loc`: the root, a key of the current mapping, or a value.
    fn begin(&mut self, loc: Location) -> Slot {
        let Some(top) = self.stack.last_mut() else {
            return Slot::Root;
        };
        if top.awaiting_first_child {
            top.awaiting_first_child = false;
            if !top.is_key {
                self.values.entry(top.path.clone()).or_insert(loc);
            }
        }
        match &mut top.kind {
            FrameKind::Map {
                next_is_key: true, ..
            } => Slot::Key {
                path: top.path.clone(),
            },
            FrameKind::Map { key, .. } => Slot::Value {
                path: join(&top.path, key),
            },
            FrameKind::Seq { index: i } => Slot::Value {
                path: index(&top.path, *i),
            },
        }
    }

    /// A child of the current container is complete: a mapping flips key/value, a list counts.
    fn finish_child(&mut self) {
        if let Some(top) = self.stack.last_mut() {
            match &mut top.kind {
                FrameKind::Map { next_is_key, .. } => *next_is_key = !*next_is_key,
                FrameKind::Seq { index } => *index += 1,
            }
        }
    }

    fn scalar(&mut self, text: Option<&str>, is_null: bool, loc: Location) {
        match self.begin(loc) {
            Slot::Root => {
                self.root = Some(if is_null {
                    RootKind::Empty
                } else {
                    RootKind::Scalar
                });
                self.root_location = Some(loc);
            }
            Slot::Key { path } => {
                let key = text.unwrap_or("*").to_string();
                let full = join(&path, &key);
                if let Some(Frame {
                    kind: FrameKind::Map { key: k, seen, .. },
                    ..
                }) = self.stack.last_mut()
                {
                    if let Some(first) = seen.get(&key) {
                        self.duplicates.push(DuplicateKey {
                            path: full.clone(),
                            key: key.clone(),
                            first: *first,
                            second: loc,
                        });
                    } else {
                        seen.insert(key.clone(), loc);
                    }
                    *k = key;
                }
                self.keys.entry(full).or_insert(loc);
                self.finish_child();
            }
            Slot::Value { path } => {
                self.values.entry(path).or_insert(loc);
                self.finish_child();
            }
        }
    }

    fn start_container(&mut self, loc: Location, kind: FrameKind, root_kind: RootKind) {
        let (path, is_key) = match self.begin(loc) {
            Slot::Root => {
                self.root = Some(root_kind);
                self.root_location = Some(loc);
                (String::new(), false)
            }
            Slot::Key { path } => {
                // A complex key (a mapping or list used as a key): index nothing below it.
                if let Some(Frame {
                    kind: FrameKind::Map { key, .. },
                    ..
                }) = self.stack.last_mut()
                {
                    *key = "?".to_string();
                }
                (join(&path, "?"), true)
            }
            Slot::Value { path } => (path, false),
        };
        self.stack.push(Frame {
            path,
            start: loc,
            awaiting_first_child: true,
            is_key,
            kind,
        });
    }

    fn end_container(&mut self) {
        if let Some(frame) = self.stack.pop() {
            if frame.awaiting_first_child && !frame.is_key {
                self.values.entry(frame.path).or_insert(frame.start);
            }
            self.finish_child();
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let loc = to_location(&mark);
        if let Event::DocumentStart = ev {
            self.documents += 1;
            if self.documents == 2 {
                self.extra_document = Some(loc);
            }
            return;
        }
        if self.documents > 1 {
            return; // only the first document is indexed
        }
        match ev {
            Event::Scalar(text, style, _, _) => {
                let is_null = style == TScalarStyle::Plain
                    && matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL");
                self.scalar(Some(&text), is_null, loc);
            }
            Event::Alias(_) => self.scalar(None, false, loc),
            Event::MappingStart(..) => self.start_container(
                loc,
                FrameKind::Map {
                    next_is_key: true,
                    key: String::new(),
                    seen: HashMap::new(),
                },
                RootKind::Mapping,
            ),
            Event::SequenceStart(..) => {
                self.start_container(loc, FrameKind::Seq { index: 0 }, RootKind::Sequence)
            }
            Event::MappingEnd | Event::SequenceEnd => self.end_container(),
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
stack: demo
regions:
  us-east-1:
    role: primary
    cidr: 10.0.0.0/16
  eu-west-1: { role: secondary, cidr: 10.1.0.0/16 }
database:
  replicas: [eu-west-1, ap-southeast-1]
  items:
    - name: a
      size: 1
    - name: b
";

    #[test]
    fn indexes_keys_and_values() {
        let ix = SourceIndex::build(DOC).unwrap();
        assert_eq!(ix.root, RootKind::Mapping);
        assert_eq!(ix.key("stack"), Some(Location::new(1, 1)));
        assert_eq!(ix.value("stack"), Some(Location::new(1, 8)));
        assert_eq!(ix.key("regions.us-east-1"), Some(Location::new(3, 3)));
        assert_eq!(ix.key("regions.us-east-1.cidr"), Some(Location::new(5, 5)));
        assert_eq!(
            ix.value("regions.us-east-1.cidr"),
            Some(Location::new(5, 11))
        );
        assert_eq!(
            ix.value("regions.eu-west-1.cidr"),
            Some(Location::new(6, 39))
        );
        assert_eq!(ix.value("database.replicas[1]"), Some(Location::new(8, 25)));
        assert_eq!(ix.value("database.items[1]"), Some(Location::new(12, 7)));
        assert_eq!(
            ix.value("database.items[0].size"),
            Some(Location::new(11, 13))
        );
        // A container's value is at its first child.
        assert_eq!(ix.value("regions.us-east-1"), Some(Location::new(4, 5)));
        assert!(ix.duplicates.is_empty());
        assert_eq!(ix.extra_document, None);
    }

    #[test]
    fn falls_back_to_ancestors() {
        let ix = SourceIndex::build(DOC).unwrap();
        assert_eq!(ix.locate("regions.us-east-1.azs"), Location::new(4, 5));
        assert_eq!(ix.locate_key("regions.us-east-1.azs"), Location::new(3, 3));
        assert_eq!(ix.locate("network.peering"), Location::new(1, 1));
    }

    #[test]
    fn finds_duplicates_and_documents() {
        let ix = SourceIndex::build("a: 1\nb:\n  x: 1\n  x: 2\na: 3\n").unwrap();
        assert_eq!(ix.duplicates.len(), 2);
        assert_eq!(ix.duplicates[0].path, "b.x");
        assert_eq!(ix.duplicates[0].first, Location::new(3, 3));
        assert_eq!(ix.duplicates[0].second, Location::new(4, 3));
        assert_eq!(ix.duplicates[1].path, "a");

        let ix = SourceIndex::build("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(ix.extra_document, Some(Location::new(2, 1)));
    }

    #[test]
    fn root_kinds() {
        assert_eq!(SourceIndex::build("").unwrap().root, RootKind::Empty);
        assert_eq!(SourceIndex::build("# c\n").unwrap().root, RootKind::Empty);
        assert_eq!(SourceIndex::build("~\n").unwrap().root, RootKind::Empty);
        assert_eq!(
            SourceIndex::build("- a\n").unwrap().root,
            RootKind::Sequence
        );
        assert_eq!(
            SourceIndex::build("hello\n").unwrap().root,
            RootKind::Scalar
        );
        let e = SourceIndex::build("a: [1, 2\n").unwrap_err();
        assert_eq!(e.location.line, 2);
    }
}

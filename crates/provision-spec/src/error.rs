//! Spec errors, rendered like rustc and cargo:
//!
//! ```text
//! specs/prod.yaml:12:5: error: region `us-east-7` is not an AWS region
//!   help: did you mean `us-east-1`?
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// A 1-based line and column in the spec file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub line: usize,
    pub col: usize,
}

impl Location {
    pub fn new(line: usize, col: usize) -> Self {
        Self { line, col }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// One problem with a spec.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct SpecError {
    /// The spec file, as given by the caller (printed as is).
    pub file: PathBuf,
    /// Where in the file; None when the problem has no position (the file cannot be read).
    pub location: Option<Location>,
    /// The dotted path of the offending value, e.g. `regions.us-east-1.cidr`, when known.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it, or what is expected.
    pub help: Option<String>,
}

impl SpecError {
    pub fn new(file: &Path, location: Option<Location>, message: impl Into<String>) -> Self {
        Self {
            file: file.to_path_buf(),
            location,
            field: None,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// `file:line:col: error: message` and, when there is help, `  help: …` on the next line.
    pub fn render(&self) -> String {
        let mut s = match self.location {
            Some(loc) => format!("{}:{}: error: {}", self.file.display(), loc, self.message),
            None => format!("{}: error: {}", self.file.display(), self.message),
        };
        if let Some(help) = &self.help {
            s.push_str("\n  help: ");
            s.push_str(help);
        }
        s
    }
}

/// Every problem found in a spec, in file order. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct SpecErrors(pub Vec<SpecError>);

impl SpecErrors {
    pub fn single(e: SpecError) -> Self {
        Self(vec![e])
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, SpecError> {
        self.0.iter()
    }

    /// Each error as rendered by [`SpecError::render`], separated by a blank line.
    pub fn render(&self) -> String {
        self.0
            .iter()
            .map(SpecError::render)
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    /// Sort by position (errors without a position first), keeping the discovery order of
    /// errors at the same position.
    pub(crate) fn sort(&mut self) {
        self.0.sort_by_key(|e| e.location);
    }
}

impl IntoIterator for SpecErrors {
    type Item = SpecError;
    type IntoIter = std::vec::IntoIter<SpecError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a SpecErrors {
    type Item = &'a SpecError;
    type IntoIter = std::slice::Iter<'a, SpecError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let e = SpecError::new(
            Path::new("specs/prod.yaml"),
            Some(Location::new(12, 5)),
            "bad thing",
        )
        .with_help("do the other thing");
        assert_eq!(
            e.to_string(),
            "specs/prod.yaml:12:5: error: bad thing\n  help: do the other thing"
        );
        let no_loc = SpecError::new(Path::new("x.yaml"), None, "cannot read");
        assert_eq!(no_loc.to_string(), "x.yaml: error: cannot read");
        let all = SpecErrors(vec![e, no_loc]);
        assert_eq!(all.to_string().matches("error:").count(), 2);
    }
}

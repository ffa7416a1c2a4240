//! Field paths inside a document, such as `spec.zones[1].subnetId`.

use std::fmt;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

/// A path from a document's root to one of its fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The empty path (the document itself).
    #[must_use]
    pub const fn root() -> Self {
        Self(Vec::new())
    }

    /// Parses a dotted path with optional `[n]` indices, e.g. `spec.zones[1].name`.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut segments = Vec::new();
        for part in text.split('.').filter(|p| !p.is_empty()) {
            let mut rest = part;
            if let Some(open) = rest.find('[') {
                segments.push(Segment::Key(rest[..open].to_owned()));
                rest = &rest[open..];
                while let Some(close) = rest.find(']') {
                    if let Ok(index) = rest[1..close].parse() {
                        segments.push(Segment::Index(index));
                    }
                    rest = &rest[close + 1..];
                }
            } else {
                segments.push(Segment::Key(rest.to_owned()));
            }
        }
        Self(segments)
    }

    /// This path extended by a key.
    #[must_use]
    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_owned()));
        next
    }

    /// This path extended by an index.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }

    /// The segments of the path.
    #[must_use]
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// True for the document root.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        for text in ["spec", "spec.zones[1].name", "spec.a[0][2].b"] {
            assert_eq!(FieldPath::parse(text).to_string(), text);
        }
        assert_eq!(
            FieldPath::root().key("spec").index(3).to_string(),
            "spec[3]"
        );
    }
}

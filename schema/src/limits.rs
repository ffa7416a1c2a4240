//! Bounds that keep hostile or accidental input from hanging firecamp or exhausting memory.

/// Upper bounds applied while reading spec files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest spec file read, in bytes.
    pub max_file_bytes: u64,
    /// Most spec files read from one folder tree.
    pub max_files: usize,
    /// Most YAML documents in one file.
    pub max_documents_per_file: usize,
    /// Deepest nesting of mappings and sequences in one document, after alias expansion.
    pub max_depth: usize,
    /// Most YAML nodes in one document, after alias expansion (stops alias bombs).
    pub max_nodes_per_document: usize,
    /// Most YAML nodes in one file, all its documents together, after alias expansion (so many
    /// documents each just under the document limit cannot add up).
    pub max_nodes_per_file: usize,
    /// Most YAML nodes in the whole spec set, after alias expansion: the bound on the memory a
    /// spec set can take (a node is on the order of 100 bytes).
    pub max_nodes_per_set: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 1024 * 1024,
            max_files: 10_000,
            max_documents_per_file: 1_000,
            max_depth: 64,
            max_nodes_per_document: 100_000,
            max_nodes_per_file: 400_000,
            max_nodes_per_set: 2_000_000,
        }
    }
}

//! "Did you mean" suggestions for misspelt field names, kinds and values.

/// The candidate closest to `input`, when one is close enough to be a likely typo: equal after
/// ignoring case, `_` and `-` (so `heap_size` finds `heapSize`), or within a small edit distance.
#[must_use]
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let normalized = normalize(input);
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        if normalize(candidate) == normalized {
            return Some(candidate);
        }
        let candidate_normalized = normalize(candidate);
        let one_edit = normalized.chars().count() >= 3
            && strsim::levenshtein(&normalized, &candidate_normalized) == 1;
        let score = if one_edit {
            1.0
        } else {
            strsim::jaro_winkler(&normalized, &candidate_normalized)
        };
        if score >= 0.85 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// The candidate equal to `input` once case, `_` and `-` are ignored: for names where a small
/// edit is a different, valid name (zones `us-east-1a` and `us-east-1d`).
#[must_use]
pub fn same_when_normalized<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let normalized = normalize(input);
    candidates.into_iter().find(|c| normalize(c) == normalized)
}

fn normalize(text: &str) -> String {
    text.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn finds_typos_and_case_slips() {
        let fields = ["replicas", "heapSize", "journalVolume", "volume"];
        assert_eq!(closest("replica", fields), Some("replicas"));
        assert_eq!(closest("heap_size", fields), Some("heapSize"));
        assert_eq!(closest("journalvolume", fields), Some("journalVolume"));
        assert_eq!(closest("colour", fields), None);
        assert_eq!(closest("gp4", ["gp3", "gp2", "io1"]), Some("gp3"));
        assert_eq!(closest("ab", ["ac"]), None);
    }
}

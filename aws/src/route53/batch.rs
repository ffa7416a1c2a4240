//! Record changes and how they are packed into ChangeResourceRecordSets requests: at most 1,000
//! resource records and 32,000 value characters a request, an UPSERT counting twice, a name's
//! changes always together.

/// Resource records a ChangeResourceRecordSets request may carry.
pub const MAX_RECORDS: usize = 1_000;
/// Value characters a request may carry.
pub const MAX_CHARACTERS: usize = 32_000;

/// A record set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSet {
    /// Name, without the final dot.
    pub name: String,
    /// `A` or `TXT`.
    pub record_type: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// Values (TXT values quoted).
    pub values: Vec<String>,
}

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordChange {
    /// A new record set (fails if it exists).
    Create(RecordSet),
    /// Create or replace.
    Upsert(RecordSet),
    /// Delete (the set must match what exists).
    Delete(RecordSet),
}

impl RecordChange {
    /// The record set the change is about.
    #[must_use]
    pub fn set(&self) -> &RecordSet {
        match self {
            Self::Create(s) | Self::Upsert(s) | Self::Delete(s) => s,
        }
    }

    /// Resource records and value characters it counts for, an UPSERT twice.
    #[must_use]
    pub fn weight(&self) -> (usize, usize) {
        let set = self.set();
        let records = set.values.len();
        let characters: usize = set.values.iter().map(String::len).sum();
        match self {
            Self::Upsert(_) => (2 * records, 2 * characters),
            _ => (records, characters),
        }
    }
}

/// Groups changes by name (in first-seen order) and packs whole names into batches within the
/// limits. A single name too large for a batch gets one of its own (AWS will refuse it).
#[must_use]
pub fn batches(changes: &[RecordChange]) -> Vec<Vec<RecordChange>> {
    let mut names: Vec<(&str, Vec<&RecordChange>)> = Vec::new();
    for change in changes {
        match names
            .iter_mut()
            .find(|(name, _)| *name == change.set().name)
        {
            Some((_, group)) => group.push(change),
            None => names.push((&change.set().name, vec![change])),
        }
    }
    let mut result: Vec<Vec<RecordChange>> = Vec::new();
    let (mut records, mut characters) = (0, 0);
    for (_, group) in names {
        let (r, c) = group
            .iter()
            .map(|g| g.weight())
            .fold((0, 0), |(a, b), (x, y)| (a + x, b + y));
        if result.is_empty() || records + r > MAX_RECORDS || characters + c > MAX_CHARACTERS {
            result.push(Vec::new());
            (records, characters) = (0, 0);
        }
        if let Some(batch) = result.last_mut() {
            batch.extend(group.into_iter().cloned());
        }
        records += r;
        characters += c;
    }
    result
}

/// Groups changes by name, in first-seen order: the fallback when a batch is rejected.
pub(super) fn batches_by_name(changes: &[RecordChange]) -> Vec<Vec<RecordChange>> {
    let mut result: Vec<Vec<RecordChange>> = Vec::new();
    for change in changes {
        match result
            .iter_mut()
            .find(|b| b[0].set().name == change.set().name)
        {
            Some(batch) => batch.push(change.clone()),
            None => result.push(vec![change.clone()]),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: &str) -> RecordSet {
        RecordSet {
            name: name.to_owned(),
            record_type: "A".to_owned(),
            ttl: 5,
            values: vec!["10.0.0.1".to_owned()],
        }
    }

    #[test]
    fn creations_pack_a_thousand_records_a_batch_and_upserts_count_twice() {
        let creates: Vec<RecordChange> = (0..2_500)
            .map(|i| RecordChange::Create(a(&format!("m{i}.x"))))
            .collect();
        assert_eq!(
            batches(&creates).iter().map(Vec::len).collect::<Vec<_>>(),
            [1_000, 1_000, 500]
        );
        let upserts: Vec<RecordChange> = (0..1_000)
            .map(|i| RecordChange::Upsert(a(&format!("m{i}.x"))))
            .collect();
        assert_eq!(batches(&upserts).len(), 2);
    }

    #[test]
    fn a_names_changes_stay_together_and_characters_are_limited() {
        let mut changes = Vec::new();
        for i in 0..600 {
            changes.push(RecordChange::Create(a(&format!("m{i}.x"))));
            changes.push(RecordChange::Create(RecordSet {
                record_type: "TXT".to_owned(),
                values: vec!["\"heritage=firecamp\"".to_owned()],
                ..a(&format!("m{i}.x"))
            }));
        }
        let packed = batches(&changes);
        assert!(
            packed.iter().all(|b| b.len() % 2 == 0),
            "A and TXT of a name in the same batch"
        );
        let long = RecordSet {
            record_type: "TXT".to_owned(),
            values: vec!["x".repeat(250)],
            ..a("long")
        };
        let many: Vec<RecordChange> = (0..300)
            .map(|i| {
                RecordChange::Create(RecordSet {
                    name: format!("l{i}"),
                    ..long.clone()
                })
            })
            .collect();
        assert!(
            batches(&many)
                .iter()
                .all(|b| b.iter().map(|c| c.weight().1).sum::<usize>() <= MAX_CHARACTERS)
        );
    }
}

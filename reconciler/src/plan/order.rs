//! Ordering: within a service, creations and updates by rank (config → network → workloads →
//! members → records → DNS → init jobs) and deletions in reverse; every service step after the cluster's
//! foundation; a service after the services it references; deletions of a referenced service after
//! those of the services referencing it. Ties keep the order steps were built in, so the same
//! inputs give the same plan.

use std::collections::{BTreeMap, BTreeSet};

use super::PlanError;
use super::draft::{Draft, Rank, RestartOrder};
use super::model::Step;

/// Fills `depends_on` and returns the steps in dependency order.
///
/// # Errors
/// A dependency cycle, with its path.
pub(crate) fn order(
    mut drafts: Vec<Draft>,
    references: &BTreeMap<String, Vec<String>>,
) -> Result<Vec<Step>, PlanError> {
    let deps = dependencies(&drafts, references);
    let ids: Vec<String> = drafts.iter().map(|d| d.step.id.clone()).collect();
    for (draft, before) in drafts.iter_mut().zip(&deps) {
        draft.step.depends_on = before.iter().map(|&i| ids[i].clone()).collect();
    }
    let sorted = topological(&deps)
        .map_err(|cycle| PlanError::Cycle(cycle.iter().map(|&i| ids[i].clone()).collect()))?;
    let mut slots: Vec<Option<Draft>> = drafts.into_iter().map(Some).collect();
    Ok(sorted
        .into_iter()
        .filter_map(|i| slots[i].take().map(|d| d.step))
        .collect())
}

/// For each draft, the indices of the drafts it depends on.
fn dependencies(
    drafts: &[Draft],
    references: &BTreeMap<String, Vec<String>>,
) -> Vec<BTreeSet<usize>> {
    let mut by_group: BTreeMap<(&str, bool), BTreeMap<Rank, Vec<usize>>> = BTreeMap::new();
    for (i, draft) in drafts.iter().enumerate() {
        by_group
            .entry((draft.group.as_str(), draft.delete))
            .or_default()
            .entry(effective_rank(draft))
            .or_default()
            .push(i);
    }
    let foundation: Vec<usize> = by_group
        .get(&("", false))
        .and_then(|ranks| ranks.get(&Rank::Foundation))
        .cloned()
        .unwrap_or_default();
    let mut deps = vec![BTreeSet::new(); drafts.len()];
    for (i, draft) in drafts.iter().enumerate() {
        let ranks = &by_group[&(draft.group.as_str(), draft.delete)];
        let rank = effective_rank(draft);
        let previous = ranks.range(..rank).next_back();
        if let Some((_, earlier)) = previous {
            deps[i].extend(earlier.iter().copied());
        } else {
            if !draft.delete && !draft.group.is_empty() {
                deps[i].extend(foundation.iter().copied());
            }
            deps[i].extend(cross_service(&by_group, draft, references));
        }
    }
    chain_restarts(drafts, &mut deps);
    deps
}

/// Each service's member restarts run one at a time, in [`RestartOrder`]: each waits for the one
/// before it, so a failed restart stops the rest.
fn chain_restarts(drafts: &[Draft], deps: &mut [BTreeSet<usize>]) {
    let mut by_service: BTreeMap<&str, Vec<(&RestartOrder, usize)>> = BTreeMap::new();
    for (i, draft) in drafts.iter().enumerate() {
        if let Some(order) = &draft.restart_order {
            by_service
                .entry(draft.group.as_str())
                .or_default()
                .push((order, i));
        }
    }
    for restarts in by_service.values_mut() {
        restarts.sort();
        for pair in restarts.windows(2) {
            deps[pair[1].1].insert(pair[0].1);
        }
    }
}

/// Deletions run in reverse rank: a delete's effective rank counts down from the top.
fn effective_rank(draft: &Draft) -> Rank {
    if !draft.delete {
        return draft.rank;
    }
    match draft.rank {
        Rank::Jobs => Rank::Foundation,
        Rank::Dns => Rank::Config,
        Rank::Records | Rank::Members | Rank::Workload => Rank::Network,
        Rank::Network => Rank::Workload,
        Rank::Config => Rank::Members,
        Rank::Foundation => Rank::Dns,
    }
}

/// The first steps of a service wait for the last steps of the services it references; the first
/// deletions of a service wait for the last deletions of the services referencing it.
fn cross_service(
    by_group: &BTreeMap<(&str, bool), BTreeMap<Rank, Vec<usize>>>,
    draft: &Draft,
    references: &BTreeMap<String, Vec<String>>,
) -> Vec<usize> {
    let last = |group: &str| {
        by_group
            .get(&(group, draft.delete))
            .and_then(|ranks| ranks.values().next_back())
            .cloned()
            .unwrap_or_default()
    };
    let others: Vec<&str> = if draft.delete {
        references
            .iter()
            .filter(|(_, targets)| targets.contains(&draft.group))
            .map(|(s, _)| s.as_str())
            .collect()
    } else {
        references
            .get(&draft.group)
            .map(|t| t.iter().map(String::as_str).collect())
            .unwrap_or_default()
    };
    others
        .into_iter()
        .filter(|g| *g != draft.group)
        .flat_map(last)
        .collect()
}

/// Kahn's algorithm, always taking the lowest ready index; a cycle comes back as its path.
fn topological(deps: &[BTreeSet<usize>]) -> Result<Vec<usize>, Vec<usize>> {
    let mut remaining: Vec<usize> = deps.iter().map(BTreeSet::len).collect();
    let mut dependents = vec![Vec::new(); deps.len()];
    for (i, before) in deps.iter().enumerate() {
        for &b in before {
            dependents[b].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..deps.len()).filter(|&i| remaining[i] == 0).collect();
    let mut sorted = Vec::with_capacity(deps.len());
    while let Some(next) = ready.pop_first() {
        sorted.push(next);
        for &after in &dependents[next] {
            remaining[after] -= 1;
            if remaining[after] == 0 {
                ready.insert(after);
            }
        }
    }
    if sorted.len() == deps.len() {
        return Ok(sorted);
    }
    // Walk back through unfinished dependencies until a step repeats: that is a cycle.
    let mut path = vec![(0..deps.len()).find(|&i| remaining[i] > 0).unwrap_or(0)];
    loop {
        let current = *path.last().unwrap_or(&0);
        let Some(&next) = deps[current].iter().find(|&&d| remaining[d] > 0) else {
            return Err(path);
        };
        if let Some(start) = path.iter().position(|&p| p == next) {
            let mut cycle = path[start..].to_vec();
            cycle.push(next);
            cycle.reverse();
            return Err(cycle);
        }
        path.push(next);
    }
}

#[cfg(test)]
mod tests {
    use super::topological;

    #[test]
    fn ties_keep_build_order_and_cycles_give_their_path() {
        let deps = vec![[].into(), [0].into(), [].into()];
        assert_eq!(topological(&deps), Ok(vec![0, 1, 2]));
        let cycle = vec![[2].into(), [0].into(), [1].into()];
        let path = topological(&cycle).expect_err("a cycle");
        assert_eq!(path.first(), path.last());
        assert_eq!(path.len(), 4);
    }
}

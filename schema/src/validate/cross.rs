//! Rules across documents: one Cluster, unique service names, references, and reference cycles.

use std::collections::{BTreeMap, BTreeSet};

use crate::spec::ServiceKind;
use crate::suggest::closest;

/// A reference edge for cross-document checks: `from`'s `field` names `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Edge {
    pub from: String,
    pub field: String,
    pub to: String,
    pub kinds: &'static [ServiceKind],
}

/// A problem found by a cross-document rule, owned by service `service`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CrossProblem {
    pub service: String,
    pub field: String,
    pub message: String,
    pub hint: String,
}

/// Checks that every reference names an existing service of an allowed kind, and not itself.
pub(crate) fn check_references(
    edges: &[Edge],
    kinds: &BTreeMap<String, ServiceKind>,
) -> Vec<CrossProblem> {
    let mut problems = Vec::new();
    for edge in edges {
        let problem = |message: String, hint: String| CrossProblem {
            service: edge.from.clone(),
            field: edge.field.clone(),
            message,
            hint,
        };
        let wanted = if edge.kinds.is_empty() {
            "service".to_owned()
        } else {
            let names: Vec<&str> = edge.kinds.iter().map(|k| k.as_str()).collect();
            if names.len() > 3 {
                "service of another kind than Telegraf".to_owned()
            } else {
                format!("{} service", names.join(" or "))
            }
        };
        if edge.to == edge.from {
            problems.push(problem(
                "a service cannot reference itself".to_owned(),
                format!("name {}", with_article(&wanted)),
            ));
            continue;
        }
        match kinds.get(&edge.to) {
            None => {
                let candidates = kinds
                    .iter()
                    .filter(|(_, k)| edge.kinds.is_empty() || edge.kinds.contains(k))
                    .map(|(n, _)| n.as_str());
                let hint = closest(&edge.to, candidates.clone()).map_or_else(
                    || {
                        let known: Vec<&str> = candidates.collect();
                        if known.is_empty() {
                            format!("add {} named \"{}\"", with_article(&wanted), edge.to)
                        } else {
                            format!(
                                "add {} named \"{}\", or name one of: {}",
                                with_article(&wanted),
                                edge.to,
                                known.join(", ")
                            )
                        }
                    },
                    |c| format!("did you mean \"{c}\"?"),
                );
                problems.push(problem(format!("no service named \"{}\"", edge.to), hint));
            }
            Some(kind) if !edge.kinds.is_empty() && !edge.kinds.contains(kind) => {
                let fitting: Vec<&str> = kinds
                    .iter()
                    .filter(|(_, k)| edge.kinds.contains(k))
                    .map(|(n, _)| n.as_str())
                    .collect();
                let hint = if fitting.is_empty() {
                    format!("add {} and name it here", with_article(&wanted))
                } else {
                    format!("name one of: {}", fitting.join(", "))
                };
                problems.push(problem(
                    format!(
                        "\"{}\" is {} service; {} is needed",
                        edge.to,
                        with_article(kind.as_str()),
                        with_article(&wanted)
                    ),
                    hint,
                ));
            }
            Some(_) => {}
        }
    }
    problems
}

/// `a Kafka service`, `an ElasticSearch service`.
fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// Finds reference cycles; each is reported once, on the first service of the cycle in name
/// order, as the path `a → b → a`.
pub(crate) fn find_cycles(edges: &[Edge]) -> Vec<CrossProblem> {
    let mut graph: BTreeMap<&str, Vec<&Edge>> = BTreeMap::new();
    for edge in edges.iter().filter(|e| e.from != e.to) {
        graph.entry(edge.from.as_str()).or_default().push(edge);
    }
    let mut state: BTreeMap<&str, Visit> = BTreeMap::new();
    let mut cycles = BTreeSet::new();
    for &start in graph.keys() {
        if state.contains_key(start) {
            continue;
        }
        // Iterative depth-first search; `stack` holds the current path and each node's next edge.
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        state.insert(start, Visit::OnPath);
        while let Some((node, next)) = stack.last_mut() {
            let node: &str = node;
            let out = graph.get(node).map_or(&[][..], Vec::as_slice);
            if let Some(edge) = out.get(*next) {
                *next += 1;
                match state.get(edge.to.as_str()) {
                    None => {
                        state.insert(edge.to.as_str(), Visit::OnPath);
                        stack.push((edge.to.as_str(), 0));
                    }
                    Some(Visit::OnPath) => {
                        let begin = stack.iter().position(|(n, _)| *n == edge.to).unwrap_or(0);
                        cycles.insert(normalize(stack[begin..].iter().map(|(n, _)| *n).collect()));
                    }
                    Some(Visit::Done) => {}
                }
            } else {
                state.insert(node, Visit::Done);
                stack.pop();
            }
        }
    }
    cycles
        .into_iter()
        .map(|cycle| {
            let first = cycle[0].clone();
            let second = cycle.get(1).unwrap_or(&first);
            let field = edges
                .iter()
                .find(|e| e.from == first && &e.to == second)
                .map_or_else(String::new, |e| e.field.clone());
            let mut path = cycle.clone();
            path.push(first.clone());
            CrossProblem {
                service: first,
                field,
                message: format!("reference cycle: {}", path.join(" → ")),
                hint: "services are created in reference order; remove one of these references"
                    .to_owned(),
            }
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    OnPath,
    Done,
}

/// Rotates a cycle so it starts at its smallest name.
fn normalize(cycle: Vec<&str>) -> Vec<String> {
    let start = cycle
        .iter()
        .enumerate()
        .min_by_key(|(_, n)| **n)
        .map_or(0, |(i, _)| i);
    cycle[start..]
        .iter()
        .chain(&cycle[..start])
        .map(|s| (*s).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(from: &str, to: &str) -> Edge {
        Edge {
            from: from.into(),
            field: "spec.dependsOn[0]".into(),
            to: to.into(),
            kinds: &[],
        }
    }

    #[test]
    fn reports_each_cycle_once_from_its_smallest_name() {
        let edges = [
            edge("c", "a"),
            edge("a", "b"),
            edge("b", "c"),
            edge("d", "a"),
        ];
        let cycles = find_cycles(&edges);
        assert_eq!(cycles.len(), 1);
        assert_eq!(cycles[0].service, "a");
        assert_eq!(cycles[0].message, "reference cycle: a → b → c → a");
    }

    #[test]
    fn no_cycle_in_a_diamond_and_long_chains_do_not_recurse() {
        let mut edges = vec![
            edge("a", "b"),
            edge("a", "c"),
            edge("b", "d"),
            edge("c", "d"),
        ];
        edges.extend((0..50_000).map(|i| edge(&format!("n{i}"), &format!("n{}", i + 1))));
        assert!(find_cycles(&edges).is_empty());
    }
}

//! The plan for a terminal: `+ ~ - -/+` symbols, field changes, members with zone, node, IP and DNS
//! name, and the closing summary line.

use std::fmt::Write as _;

use super::{groups, shown, summary_line};
use crate::plan::{Action, Plan};

/// ANSI colours, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Use colours.
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_owned()
        }
    }

    fn action(self, action: Action) -> String {
        let code = match action.symbol() {
            "+" => "32",
            "~" => "33",
            "-" => "31",
            _ => "35",
        };
        self.paint(code, &format!("{:>3}", action.symbol()))
    }
}

/// The text plan.
#[must_use]
pub fn render(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    if let Some(line) = super::nothing_to_apply(plan) {
        let _ = writeln!(out, "{line}");
    }
    for (service, steps) in groups(plan) {
        let title = service.as_deref().map_or_else(
            || "Cluster-level objects".to_owned(),
            |s| format!("Service {s}"),
        );
        let _ = writeln!(out, "\n{}", style.paint("1", &title));
        for step in steps {
            let drift = if step.drift {
                format!(" {}", style.paint("35", "[drift]"))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{} {}  ({}){drift}",
                style.action(step.action),
                step.resource,
                step.reason
            );
            for change in &step.changes {
                let before = shown(step, &change.path, change.before.as_ref(), 60);
                let after = shown(step, &change.path, change.after.as_ref(), 60);
                let _ = writeln!(out, "        {}: {before} → {after}", change.path);
            }
        }
        if let Some(service) = &service {
            let members: Vec<_> = plan
                .members
                .iter()
                .filter(|m| &m.service == service)
                .collect();
            if !members.is_empty() {
                let _ = writeln!(out, "    members:");
            }
            for m in members {
                let node = m.node.as_deref().unwrap_or("(not scheduled)");
                let ip = m.ip.as_deref().unwrap_or("(no IP yet)");
                let _ = writeln!(
                    out,
                    "      {:<36} {:<12} {:<24} {:<15} {}",
                    m.name, m.zone, node, ip, m.dns_name
                );
            }
        }
    }
    if !plan.untouched.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint("1", "Left exactly as they are"));
        for u in &plan.untouched {
            let _ = writeln!(out, "  ! {}: {}", u.service, u.reason);
        }
    }
    if !plan.warnings.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint("1", "Warnings"));
        for warning in &plan.warnings {
            let _ = writeln!(out, "  ! {warning}");
        }
    }
    let _ = writeln!(out, "\n{}", summary_line(plan));
    out
}

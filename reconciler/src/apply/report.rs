//! What an apply did, step by step, and its summary for people.

use std::fmt;

use crate::plan::Action;

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Carried out.
    Done,
    /// Failed, with the error and what to do.
    Failed(String),
    /// Not attempted: a step it depends on did not succeed.
    Skipped(String),
}

/// One step's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepOutcome {
    /// The step id.
    pub id: String,
    /// The resource, e.g. `StatefulSet firecamp/kafka-broker-a`.
    pub resource: String,
    /// What the step did.
    pub action: Action,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took, in milliseconds.
    pub millis: u64,
}

impl fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let action = serde_json::to_value(self.action)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        match &self.outcome {
            Outcome::Done => write!(
                f,
                "done     {action} {} ({} ms)",
                self.resource, self.millis
            ),
            Outcome::Failed(error) => write!(f, "FAILED   {action} {}: {error}", self.resource),
            Outcome::Skipped(why) => write!(f, "skipped  {action} {}: {why}", self.resource),
        }
    }
}

/// Every step's outcome, in the order they ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The outcomes.
    pub steps: Vec<StepOutcome>,
    /// Addresses EC2 refused to assign because something else has them (see
    /// `AwsError::refuses_address`): the loop keeps them out of the next choices.
    pub refused_ips: Vec<std::net::Ipv4Addr>,
}

impl Report {
    fn count(&self, wanted: fn(&Outcome) -> bool) -> usize {
        self.steps.iter().filter(|s| wanted(&s.outcome)).count()
    }

    /// Steps carried out.
    #[must_use]
    pub fn done(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Done))
    }

    /// Steps that failed.
    #[must_use]
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed(_)))
    }

    /// Steps skipped because of a failure.
    #[must_use]
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skipped(_)))
    }

    /// True when every step was carried out.
    #[must_use]
    pub fn succeeded(&self) -> bool {
        self.steps.iter().all(|s| s.outcome == Outcome::Done)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Apply {}: {} done, {} failed, {} skipped.",
            if self.succeeded() {
                "complete"
            } else {
                "incomplete"
            },
            self.done(),
            self.failed(),
            self.skipped()
        )?;
        for step in self.steps.iter().filter(|s| s.outcome != Outcome::Done) {
            write!(f, "\n  {step}")?;
        }
        Ok(())
    }
}

//! [`CheckOptions`] and [`DEFAULT_METRICS`]: what a check compares, and by which rules.

use crate::history::metric::Metric;
use crate::history::rules::Rules;
use crate::history::store::{DEFAULT_BRANCH, DEFAULT_MACHINE};

/// The metrics a check judges when none are named.
///
/// ```
/// assert_eq!(profkit::history::DEFAULT_METRICS, ["cumtime", "p50", "p99"]);
/// ```
pub const DEFAULT_METRICS: [&str; 3] = ["cumtime", "p50", "p99"];

/// What a [`check`](super::check) compares, and how.
///
/// ```
/// use profkit::history::{CheckOptions, Metric, Rules};
///
/// let options = CheckOptions::new()
///     .branch("main")
///     .machine("ci")
///     .metrics([Metric::named("p99").unwrap()])
///     .rules(Rules { threshold: 0.05, ..Rules::default() });
/// assert_eq!(options.rules_value().threshold, 0.05);
/// assert_eq!(options.metric_list()[0].name(), "p99");
/// ```
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub(crate) rules: Rules,
    pub(crate) metrics: Vec<&'static Metric>,
    pub(crate) metrics_named: bool,
    pub(crate) branch: String,
    pub(crate) machine: String,
    pub(crate) exclude_commit: Option<String>,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            rules: Rules::default(),
            metrics: DEFAULT_METRICS
                .iter()
                .filter_map(|n| Metric::named(n))
                .collect(),
            metrics_named: false,
            branch: DEFAULT_BRANCH.to_owned(),
            machine: DEFAULT_MACHINE.to_owned(),
            exclude_commit: None,
        }
    }
}

impl CheckOptions {
    /// The defaults: [`Rules::default`], the metrics of [`DEFAULT_METRICS`], branch `main`,
    /// machine `default`.
    pub fn new() -> CheckOptions {
        CheckOptions::default()
    }

    /// The detection rules.
    pub fn rules(mut self, rules: Rules) -> CheckOptions {
        self.rules = rules;
        self
    }

    /// The metrics to judge. Named metrics that the profile lacks are listed in
    /// [`Verdict::missing_metrics`](super::Verdict::missing_metrics); of the default ones,
    /// those it lacks are left out quietly (a `.prof` file has no latency).
    pub fn metrics(mut self, metrics: impl IntoIterator<Item = &'static Metric>) -> CheckOptions {
        self.metrics = Vec::new();
        for m in metrics {
            if !self.metrics.contains(&m) {
                self.metrics.push(m);
            }
        }
        self.metrics_named = true;
        self
    }

    /// The branch whose history is the baseline (for a pull request: the branch it merges
    /// into).
    pub fn branch(mut self, branch: impl Into<String>) -> CheckOptions {
        self.branch = branch.into();
        self
    }

    /// The machine whose history is the baseline.
    pub fn machine(mut self, machine: impl Into<String>) -> CheckOptions {
        self.machine = machine.into();
        self
    }

    /// Leaves the runs of this commit out of the baseline, so that a commit recorded before
    /// it is checked is not compared with itself.
    pub fn exclude_commit(mut self, commit: impl Into<String>) -> CheckOptions {
        self.exclude_commit = Some(commit.into());
        self
    }

    /// The rules.
    pub fn rules_value(&self) -> &Rules {
        &self.rules
    }

    /// The metrics to judge.
    pub fn metric_list(&self) -> &[&'static Metric] {
        &self.metrics
    }

    /// The branch of the baseline.
    pub fn branch_name(&self) -> &str {
        &self.branch
    }

    /// The machine of the baseline.
    pub fn machine_name(&self) -> &str {
        &self.machine
    }
}

//! What a finished run's rows say about how often each of its steps ran:
//! the check every fault test that kills or cuts off a worker ends with.

use std::collections::HashMap;

use taichu_storage::repositories::workflow_steps;

/// What the runs' rows say about how often each step ran.
#[derive(Debug, Default)]
pub struct Tally {
    /// Attempts that did not complete: abandoned (worker or lease lost) or failed.
    pub rerun: usize,
    pub abandoned: usize,
    /// Side effects (markers) beyond one per step.
    pub duplicates: usize,
    /// Why attempts failed, for the figures.
    pub errors: std::collections::BTreeSet<String>,
}

/// Asserts that every step of every run committed exactly once and left its
/// side effect, and that side effects repeat no more often than attempts
/// were cut short.
pub async fn each_step_once(database_url: &str, ids: &[String], steps_per_run: i32) -> Tally {
    let db = taichu_storage::connect(database_url).await.expect("database");
    let mut tally = Tally::default();
    for id in ids {
        let steps = workflow_steps::list(&db, id).await.expect("steps");
        let markers = workflow_steps::markers(&db, id).await.expect("markers");
        let mut completed: HashMap<i32, usize> = HashMap::new();
        for s in steps.iter().filter(|s| s.status == "completed") {
            *completed.entry(s.step_index).or_default() += 1;
        }
        let abandoned = steps.iter().filter(|s| s.status == "abandoned").count();
        let rerun = steps.iter().filter(|s| s.status != "completed").count();
        let mut per_step: HashMap<i32, usize> = HashMap::new();
        for m in &markers {
            *per_step.entry(m.step_index).or_default() += 1;
        }
        for step in 0..steps_per_run {
            assert_eq!(
                completed.get(&step),
                Some(&1),
                "run {id} step {step} committed exactly once: {steps:?}"
            );
            assert!(
                per_step.get(&step).is_some_and(|n| *n >= 1),
                "run {id} step {step} side effect missing"
            );
        }
        let duplicates: usize = per_step.values().map(|n| n - 1).sum();
        assert!(
            duplicates <= rerun,
            "run {id}: {duplicates} duplicate side effects but {rerun} attempts cut short: {steps:?}"
        );
        tally.rerun += rerun;
        tally.abandoned += abandoned;
        tally.duplicates += duplicates;
        tally.errors.extend(
            steps
                .iter()
                .filter_map(|s| s.error.as_deref())
                .map(|e| e.chars().take(120).collect::<String>()),
        );
    }
    tally
}

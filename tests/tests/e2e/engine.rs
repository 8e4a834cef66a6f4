//! The workflow engine with workflows defined here, on both queues: apalis-sqlite
//! and apalis-redis (a throwaway redis-server on a free port).

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use taichu_storage::repositories::workflow_runs::{self as runs, RunStatus};
use taichu_storage::repositories::workflow_steps;
use taichu_tests::engine::{EngineHarness, QueueKind, test_config, test_settings};
use taichu_workers::{Queue, Shutdown};
use taichu_workflows::{
    Engine, Lock, Planned, Registry, StartedBy, StepContext, StepError, StepSpec, Workflow, WorkflowEnv, WorkflowError,
};

/// What one step of a [`Script`] does.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Act {
    /// Attempts that fail transiently before one succeeds.
    fail_transient: u32,
    permanent: bool,
    sleep_ms: u64,
    /// Sleep only on the first attempt (to be killed there, then re-run fast).
    sleep_first_attempt_only: bool,
    timeout_ms: Option<u64>,
    max_attempts: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ScriptInput {
    acts: Vec<Act>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct ScriptState {
    done: Vec<usize>,
}

/// A workflow whose steps do what the input says; each successful step
/// writes a marker row (its side effect).
struct Script;

#[async_trait]
impl Workflow for Script {
    const KIND: &'static str = "script";
    type Input = ScriptInput;
    type State = ScriptState;
    /// The index of the act to perform.
    type Step = usize;

    fn plan(&self, input: &ScriptInput) -> Result<Vec<Planned<usize>>, String> {
        Ok(input
            .acts
            .iter()
            .enumerate()
            .map(|(i, act)| {
                let mut spec = StepSpec::new(format!("s{i}")).backoff(Duration::from_millis(10));
                if let Some(ms) = act.timeout_ms {
                    spec = spec.timeout(Duration::from_millis(ms));
                }
                if let Some(n) = act.max_attempts {
                    spec = spec.max_attempts(n);
                }
                spec.of(i)
            })
            .collect())
    }

    async fn run(
        &self,
        ctx: &StepContext,
        step: &usize,
        input: &ScriptInput,
        state: &mut ScriptState,
    ) -> Result<(), StepError> {
        let act = &input.acts[*step];
        if act.sleep_ms > 0 && (!act.sleep_first_attempt_only || ctx.attempt == 1) {
            ctx.info(format!("sleeping {} ms", act.sleep_ms));
            ctx.sleep(Duration::from_millis(act.sleep_ms)).await?;
        }
        if ctx.attempt <= act.fail_transient {
            return Err(StepError::transient(format!("flaky {}", ctx.attempt)));
        }
        if act.permanent {
            return Err(StepError::permanent("bad credentials"));
        }
        workflow_steps::add_marker(ctx.db(), &ctx.run_id, *step as i32, ctx.attempt as i32).await?;
        state.done.push(*step);
        Ok(())
    }
}

fn registry() -> Registry {
    Registry::new().register(Script)
}

async fn harness(kind: QueueKind) -> Option<EngineHarness> {
    let mut h = EngineHarness::new(kind, registry()).await?;
    h.start_workers();
    Some(h)
}

const WAIT: Duration = Duration::from_secs(30);

/// Waits until an attempt at step `index` is running (its row exists).
async fn wait_step_running(h: &EngineHarness, run_id: &str, index: i32) {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let steps = workflow_steps::list(&h.db, run_id).await.expect("steps");
        if steps.iter().any(|s| s.step_index == index && s.status == "running") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "step {index} never started: {steps:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn happy_path(kind: QueueKind) {
    let Some(h) = harness(kind).await else { return };
    let input = ScriptInput {
        acts: vec![Act::default(), Act::default(), Act::default()],
    };
    let run = h
        .engine
        .start::<Script>(
            Some("subject-1".into()),
            &input,
            Some(&StartedBy {
                user_id: "u-1".into(),
                username: "tester".into(),
            }),
            &[],
        )
        .await
        .expect("start");
    assert_eq!(run.status, RunStatus::Pending.as_str());
    let run = h.wait_finished(&run.id, WAIT).await;
    assert_eq!(run.status, RunStatus::Completed.as_str(), "{run:?}");
    assert_eq!(run.progress, 100);
    assert_eq!(run.attempts, 3);
    assert!(run.lease_owner.is_none(), "lease released");
    let state: ScriptState = serde_json::from_str(&run.state).expect("state");
    assert_eq!(state.done, vec![0, 1, 2]);
    let steps = workflow_steps::list(&h.db, &run.id).await.expect("steps");
    assert_eq!(
        steps
            .iter()
            .map(|s| (s.step_index, s.status.as_str()))
            .collect::<Vec<_>>(),
        vec![(0, "completed"), (1, "completed"), (2, "completed")]
    );
    assert!(steps.iter().all(|s| s.duration_ms.is_some()));
    let markers = workflow_steps::markers(&h.db, &run.id).await.expect("markers");
    assert_eq!(markers.len(), 3);
    let (logs, total) = workflow_steps::logs(&h.db, &run.id, 0, 100).await.expect("logs");
    assert_eq!(total, 3, "one completion line per step: {logs:?}");
    for (i, line) in logs.iter().enumerate() {
        assert!(
            line.message.starts_with(&format!("step s{i} completed in ")),
            "{line:?}"
        );
        assert_eq!(line.step.as_deref(), Some(format!("s{i}").as_str()));
    }
}

async fn transient_failure_then_success(kind: QueueKind) {
    let Some(h) = harness(kind).await else { return };
    let flaky = Act {
        fail_transient: 2,
        ..Default::default()
    };
    let input = ScriptInput {
        acts: vec![Act::default(), flaky, Act::default()],
    };
    let run = h.engine.start::<Script>(None, &input, None, &[]).await.expect("start");
    let run = h.wait_finished(&run.id, WAIT).await;
    assert_eq!(run.status, RunStatus::Completed.as_str(), "{run:?}");
    assert_eq!(run.attempts, 5);
    let steps = workflow_steps::list(&h.db, &run.id).await.expect("steps");
    let s1: Vec<_> = steps.iter().filter(|s| s.step_index == 1).collect();
    assert_eq!(
        s1.iter().map(|s| (s.attempt, s.status.as_str())).collect::<Vec<_>>(),
        vec![(1, "failed"), (2, "failed"), (3, "completed")]
    );
    assert_eq!(s1[0].error.as_deref(), Some("flaky 1"));
    assert_eq!(workflow_steps::markers(&h.db, &run.id).await.expect("markers").len(), 3);
}

async fn permanent_failure_stops_the_run(kind: QueueKind) {
    let Some(h) = harness(kind).await else { return };
    let bad = Act {
        permanent: true,
        ..Default::default()
    };
    let input = ScriptInput {
        acts: vec![Act::default(), bad, Act::default()],
    };
    let run = h.engine.start::<Script>(None, &input, None, &[]).await.expect("start");
    let run = h.wait_finished(&run.id, WAIT).await;
    assert_eq!(run.status, RunStatus::Failed.as_str());
    assert_eq!(run.error.as_deref(), Some("step s1 failed: bad credentials"));
    assert!(run.finished_at.is_some());
    let steps = workflow_steps::list(&h.db, &run.id).await.expect("steps");
    assert_eq!(steps.len(), 2, "one attempt at s1, s2 never ran: {steps:?}");
}

async fn transient_failures_exhaust_attempts(kind: QueueKind) {
    let Some(h) = harness(kind).await else { return };
    let hopeless = Act {
        fail_transient: 100,
        max_attempts: Some(3),
        ..Default::default()
    };
    let run = h
        .engine
        .start::<Script>(None, &ScriptInput { acts: vec![hopeless] }, None, &[])
        .await
        .expect("start");
    let run = h.wait_finished(&run.id, WAIT).await;
    assert_eq!(run.status, RunStatus::Failed.as_str());
    assert_eq!(run.error.as_deref(), Some("step s0 failed after 3 attempts: flaky 3"));
    assert_eq!(workflow_steps::list(&h.db, &run.id).await.expect("steps").len(), 3);
}

async fn step_timeout_is_a_transient_failure(kind: QueueKind) {
    let Some(h) = harness(kind).await else { return };
    let slow = Act {
        sleep_ms: 10_000,
        timeout_ms: Some(200),
        max_attempts: Some(2),
        ..Default::default()
    };
    let run = h
        .engine
        .start::<Script>(None, &ScriptInput { acts: vec![slow] }, None, &[])
        .await
        .expect("start");
    let run = h.wait_finished(&run.id, WAIT).await;
    assert_eq!(run.status, RunStatus::Failed.as_str());
    assert_eq!(
        run.error.as_deref(),
        Some("step s0 failed after 2 attempts: step timed out after 200 ms")
    );
    let steps = workflow_steps::list(&h.db, &run.id).await.expect("steps");
    assert!(
        steps.iter().all(|s| s.duration_ms.is_some_and(|d| d < 2_000)),
        "{steps:?}"
    );
}

async fn cancellation_stops_a_running_step(kind: QueueKind) {
    let Some(h) = harness(kind).await else { return };
    let long = Act {
        sleep_ms: 60_000,
        ..Default::default()
    };
    let input = ScriptInput {
        acts: vec![Act::default(), long, Act::default()],
    };
    let run = h.engine.start::<Script>(None, &input, None, &[]).await.expect("start");
    wait_step_running(&h, &run.id, 1).await;
    let started = std::time::Instant::now();
    runs::request_cancel(&h.db, &run.id).await.expect("cancel");
    let run = h.wait_finished(&run.id, WAIT).await;
    assert_eq!(run.status, RunStatus::Cancelled.as_str());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cancelled inside the step, not after it"
    );
    let steps = workflow_steps::list(&h.db, &run.id).await.expect("steps");
    assert_eq!(steps.last().map(|s| s.status.as_str()), Some("cancelled"));
    assert_eq!(workflow_steps::markers(&h.db, &run.id).await.expect("markers").len(), 1);
}

/// Builds an engine and workers inside `runtime`, as a separate worker would.
/// Starts a separate worker (own pool, queue consumer and lease identity).
/// Aborting the returned task is a crash: the step stops mid-way, nothing is
/// cleaned up, the lease stays. (Its connections close properly, as the OS
/// would close them for a killed process; the process-level test kills for real.)
fn spawn_worker(h: &EngineHarness, worker_id: &str) -> tokio::task::JoinHandle<()> {
    let (db_url, queue_url, id) = (h.db_url.clone(), h.queue_url.clone(), worker_id.to_owned());
    tokio::spawn(async move {
        let db = taichu_storage::connect(&db_url).await.expect("db");
        let queue = Queue::connect(queue_url.as_deref(), &db).await.expect("queue");
        let engine = Engine::new(
            WorkflowEnv::ephemeral(db).expect("ephemeral env"),
            registry(),
            std::sync::Arc::new(queue.clone()),
            test_config(&id),
        );
        taichu_workers::run(engine, queue, test_settings(), Shutdown::new()).await;
    })
}

async fn killed_worker_step_reruns_elsewhere(kind: QueueKind) {
    let Some(h) = EngineHarness::new(kind, registry()).await else {
        return;
    };
    let doomed = spawn_worker(&h, "doomed");
    let slow_once = Act {
        sleep_ms: 60_000,
        sleep_first_attempt_only: true,
        ..Default::default()
    };
    let input = ScriptInput {
        acts: vec![Act::default(), slow_once, Act::default()],
    };
    let lock = [Lock::Cluster("c-held".into())];
    let run = h
        .engine
        .start::<Script>(None, &input, None, &lock)
        .await
        .expect("start");
    // Kill only once the doomed worker is inside step s1.
    wait_step_running(&h, &run.id, 1).await;
    doomed.abort();
    let _ = doomed.await;
    // Its run keeps the cluster while nobody runs it...
    let quick = ScriptInput {
        acts: vec![Act::default()],
    };
    let refused = h.engine.start::<Script>(None, &quick, None, &lock).await;
    assert!(
        matches!(&refused, Err(WorkflowError::Busy { run_id, .. }) if *run_id == run.id),
        "{refused:?}"
    );

    let rescuer = spawn_worker(&h, "rescuer");
    let run = h.wait_finished(&run.id, WAIT).await;
    // ...until it finishes elsewhere.
    let next = h
        .engine
        .start::<Script>(None, &quick, None, &lock)
        .await
        .expect("free again");
    h.wait_finished(&next.id, WAIT).await;
    rescuer.abort();
    assert_eq!(run.status, RunStatus::Completed.as_str(), "{run:?}");
    let steps = workflow_steps::list(&h.db, &run.id).await.expect("steps");
    let s1: Vec<_> = steps
        .iter()
        .filter(|s| s.step_index == 1)
        .map(|s| (s.status.as_str(), s.worker.clone()))
        .collect();
    assert_eq!(s1.len(), 2, "{steps:?}");
    assert_eq!(s1[0].0, "abandoned");
    assert!(s1[0].1.as_deref().is_some_and(|w| w.starts_with("doomed")));
    assert_eq!(s1[1].0, "completed");
    assert!(s1[1].1.as_deref().is_some_and(|w| w.starts_with("rescuer")));
    let markers = workflow_steps::markers(&h.db, &run.id).await.expect("markers");
    assert_eq!(
        markers.iter().map(|m| m.step_index).collect::<Vec<_>>(),
        vec![0, 1, 2],
        "each side effect once"
    );
}

/// Twenty starts at once over one cluster, and twenty over overlapping
/// machine sets: exactly one of each wins; the others learn who holds it.
async fn conflicting_starts_have_one_winner(kind: QueueKind) {
    let Some(h) = harness(kind).await else { return };
    let long = ScriptInput {
        acts: vec![Act {
            sleep_ms: 60_000,
            ..Default::default()
        }],
    };
    let machines = |i: usize| {
        if i.is_multiple_of(2) {
            vec![Lock::Machine("m1".into()), Lock::Machine("m2".into())]
        } else {
            vec![Lock::Machine("m3".into()), Lock::Machine("m2".into())]
        }
    };
    for locks_of in [
        Box::new(|_| vec![Lock::Cluster("c-1".into())]) as Box<dyn Fn(usize) -> Vec<Lock>>,
        Box::new(machines),
    ] {
        let starts: Vec<_> = (0..20)
            .map(|i| {
                let (engine, input, locks) = (h.engine.clone(), long.clone(), locks_of(i));
                tokio::spawn(async move { engine.start::<Script>(None, &input, None, &locks).await })
            })
            .collect();
        let mut winners = Vec::new();
        let mut holders = Vec::new();
        for start in starts {
            match start.await.expect("join") {
                Ok(run) => winners.push(run.id),
                Err(WorkflowError::Busy { run_id, kind, .. }) => holders.push((run_id, kind)),
                Err(other) => panic!("unexpected: {other}"),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one start wins: {winners:?}");
        assert_eq!(holders.len(), 19);
        assert!(
            holders.iter().all(|(run, kind)| *run == winners[0] && kind == "script"),
            "the refusals name the winner: {holders:?}"
        );
        runs::request_cancel(&h.db, &winners[0]).await.expect("cancel");
        let run = h.wait_finished(&winners[0], WAIT).await;
        assert_eq!(run.status, RunStatus::Cancelled.as_str());
        let again = h.engine.start::<Script>(None, &long, None, &locks_of(0)).await;
        let again = again.expect("released with the final status");
        runs::request_cancel(&h.db, &again.id).await.expect("cancel");
        h.wait_finished(&again.id, WAIT).await;
    }
}

macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(super::QueueKind::Sqlite).await })*
        }
        mod redis {
            $(#[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(super::QueueKind::Redis).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread")] async fn $name() { super::$name(super::QueueKind::Postgres).await })*
        }
    };
}

on_every_backend!(
    conflicting_starts_have_one_winner,
    happy_path,
    transient_failure_then_success,
    permanent_failure_stops_the_run,
    transient_failures_exhaust_attempts,
    step_timeout_is_a_transient_failure,
    cancellation_stops_a_running_step,
    killed_worker_step_reruns_elsewhere,
);

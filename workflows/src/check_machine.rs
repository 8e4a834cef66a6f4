//! `check_machine`: connect to a machine over SSH, pin or verify its host key,
//! gather OS facts, and record it `ready`, or `unreachable` with the reason.
//! Steps: probe → record.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use taichu_storage::entities::machines::Model as Machine;
use taichu_storage::repositories::machines;

use crate::context::StepContext;
use crate::definition::{Planned, StepSpec, Workflow};
use crate::error::StepError;
use crate::ssh::{self, RemoteCommand};

/// Prints, one per line: hostname, kernel, arch, CPU cores, memory bytes, OS name.
const FACTS_SCRIPT: &str = r#"hostname; uname -r; uname -m; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN; awk '/^MemTotal:/ {printf "%.0f\n", $2 * 1024}' /proc/meminfo; if [ -r /etc/os-release ]; then . /etc/os-release; echo "${PRETTY_NAME:-$NAME}"; else uname -s; fi"#;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckMachineInput {
    pub machine_id: String,
}

/// What the probe learned.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Facts {
    pub hostname: String,
    pub kernel: String,
    pub arch: String,
    pub cpu_cores: Option<i32>,
    pub memory_bytes: Option<i64>,
    pub os: String,
}

impl Facts {
    fn parse(stdout: &str) -> Result<Self, StepError> {
        let lines: Vec<&str> = stdout.lines().map(str::trim).collect();
        if lines.len() < 6 {
            return Err(StepError::permanent(format!("unexpected facts output: {stdout:?}")));
        }
        Ok(Self {
            hostname: lines[0].to_owned(),
            kernel: lines[1].to_owned(),
            arch: lines[2].to_owned(),
            cpu_cores: lines[3].parse().ok(),
            memory_bytes: lines[4].parse().ok(),
            os: lines[5].to_owned(),
        })
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CheckMachineState {
    pub fingerprint: Option<String>,
    pub facts: Option<Facts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Connect (host key trusted on first use, checked after), run the facts script.
    Probe,
    /// Store the facts and the new status.
    Record,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CheckMachine;

#[async_trait]
impl Workflow for CheckMachine {
    const KIND: &'static str = "check_machine";
    const SUBJECT: &'static str = "machine_id";
    type Input = CheckMachineInput;
    type State = CheckMachineState;
    type Step = Step;

    fn plan(&self, _input: &CheckMachineInput) -> Result<Vec<Planned<Step>>, String> {
        Ok(vec![
            StepSpec::new("probe")
                .weight(4)
                .timeout(Duration::from_secs(60))
                .max_attempts(3)
                .backoff(Duration::from_secs(1))
                .of(Step::Probe),
            StepSpec::new("record")
                .timeout(Duration::from_secs(30))
                .of(Step::Record),
        ])
    }

    async fn run(
        &self,
        ctx: &StepContext,
        step: &Step,
        input: &CheckMachineInput,
        state: &mut CheckMachineState,
    ) -> Result<(), StepError> {
        let machine = load(ctx, &input.machine_id).await?;
        match step {
            Step::Probe => probe(ctx, &machine, state).await,
            Step::Record => record(ctx, &machine, state).await,
        }
    }

    async fn on_failure(&self, ctx: &StepContext, input: &CheckMachineInput, error: &str) -> Result<(), StepError> {
        machines::mark_unreachable(ctx.db(), &input.machine_id, error).await?;
        Ok(())
    }
}

async fn load(ctx: &StepContext, id: &str) -> Result<Machine, StepError> {
    machines::find(ctx.db(), id)
        .await?
        .ok_or_else(|| StepError::permanent(format!("machine {id} no longer exists")))
}

async fn probe(ctx: &StepContext, machine: &Machine, state: &mut CheckMachineState) -> Result<(), StepError> {
    ctx.info(format!(
        "connecting to {}@{}:{}",
        machine.username, machine.ip, machine.port
    ));
    let session = ssh::connect_machine(machine, ctx.env()).await?;
    // Trust on first use: pin before anything else is done on the host.
    if machine.host_key_fingerprint.is_none()
        && machines::pin_host_key(ctx.db(), &machine.id, session.fingerprint()).await?
    {
        ctx.info(format!("pinned host key {}", session.fingerprint()));
    }
    let output = session
        .exec(&RemoteCommand::script(FACTS_SCRIPT), Duration::from_secs(30), ctx)
        .await?;
    state.fingerprint = Some(session.fingerprint().to_owned());
    session.close().await;
    if !output.success() {
        return Err(StepError::permanent(format!(
            "facts script exited with {:?}",
            output.exit_status
        )));
    }
    state.facts = Some(Facts::parse(&output.stdout)?);
    Ok(())
}

async fn record(ctx: &StepContext, machine: &Machine, state: &CheckMachineState) -> Result<(), StepError> {
    let facts = state.facts.clone().unwrap_or_default();
    let facts = machines::Facts {
        hostname: facts.hostname,
        kernel: facts.kernel,
        arch: facts.arch,
        os: facts.os,
        cpu_cores: facts.cpu_cores,
        memory_bytes: facts.memory_bytes,
    };
    machines::record_facts(ctx.db(), &machine.id, facts).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_facts() {
        let facts =
            Facts::parse("node1\n6.1.0\nx86_64\n2\n25769803776\nDebian GNU/Linux 12 (bookworm)\n").expect("facts");
        assert_eq!(facts.hostname, "node1");
        assert_eq!(facts.cpu_cores, Some(2));
        assert_eq!(facts.memory_bytes, Some(25_769_803_776));
        assert_eq!(facts.os, "Debian GNU/Linux 12 (bookworm)");
        assert!(Facts::parse("short").is_err());
    }

    #[test]
    fn steps_are_stored_by_name() {
        assert_eq!(serde_json::to_value(Step::Probe).expect("json"), "probe");
        assert_eq!(
            serde_json::from_value::<Step>("record".into()).expect("step"),
            Step::Record
        );
    }
}

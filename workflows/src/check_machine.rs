//! `check_machine`: connect to a machine over SSH, pin or verify its host key,
//! gather OS facts, and record it `ready`, or `unreachable` with the reason.
//!
//! Steps:
//! 1. `probe`  — connect (host key trusted on first use, checked after), run the facts script.
//! 2. `record` — store the facts and the new status.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use taichu_storage::Database;
use taichu_storage::entities::machines::Model as Machine;
use taichu_storage::repositories::machines;

use crate::context::StepContext;
use crate::definition::{StepSpec, Workflow};
use crate::env::WorkflowEnv;
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

/// The workflow; it reaches machines through the workflow environment.
#[derive(Debug, Clone)]
pub struct CheckMachine {
    env: WorkflowEnv,
}

impl CheckMachine {
    pub fn new(env: WorkflowEnv) -> Self {
        Self { env }
    }
}

async fn load(db: &Database, id: &str) -> Result<Machine, StepError> {
    machines::find(db, id)
        .await?
        .ok_or_else(|| StepError::permanent(format!("machine {id} no longer exists")))
}

#[async_trait]
impl Workflow for CheckMachine {
    const KIND: &'static str = "check_machine";
    type Input = CheckMachineInput;
    type State = CheckMachineState;

    fn plan(&self, _input: &CheckMachineInput) -> Result<Vec<StepSpec>, String> {
        Ok(vec![
            StepSpec::new("probe")
                .weight(4)
                .timeout(Duration::from_secs(60))
                .max_attempts(3)
                .backoff(Duration::from_secs(1)),
            StepSpec::new("record").timeout(Duration::from_secs(30)),
        ])
    }

    async fn run_step(
        &self,
        ctx: &StepContext,
        input: &CheckMachineInput,
        state: &mut CheckMachineState,
    ) -> Result<(), StepError> {
        let machine = load(&ctx.db, &input.machine_id).await?;
        match ctx.step.name.as_str() {
            "probe" => {
                ctx.info(format!(
                    "connecting to {}@{}:{}",
                    machine.username, machine.ip, machine.port
                ))
                .await;
                let session = ssh::connect_machine(&machine, &self.env).await?;
                // Trust on first use: pin before anything else is done on the host.
                if machine.host_key_fingerprint.is_none()
                    && machines::pin_host_key(&ctx.db, &machine.id, session.fingerprint()).await?
                {
                    ctx.info(format!("pinned host key {}", session.fingerprint())).await;
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
            "record" => {
                let facts = state.facts.clone().unwrap_or_default();
                let facts = machines::Facts {
                    hostname: facts.hostname,
                    kernel: facts.kernel,
                    arch: facts.arch,
                    os: facts.os,
                    cpu_cores: facts.cpu_cores,
                    memory_bytes: facts.memory_bytes,
                };
                machines::record_facts(&ctx.db, &machine.id, facts).await?;
                Ok(())
            }
            other => Err(StepError::permanent(format!("unknown step {other}"))),
        }
    }

    async fn on_failure(&self, db: &Database, input: &CheckMachineInput, error: &str) -> Result<(), StepError> {
        machines::mark_unreachable(db, &input.machine_id, error).await?;
        Ok(())
    }
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
}

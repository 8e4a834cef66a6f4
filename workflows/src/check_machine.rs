//! `check_machine`: connect to a machine over SSH, pin or verify its host key,
//! gather OS facts, and record it `ready`, or `unreachable` with the reason.
//!
//! Steps:
//! 1. `probe`  — connect (host key trusted on first use, checked after), run the facts script.
//! 2. `record` — store the facts and the new status.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use sea_orm::{IntoActiveModel, Set};
use serde::{Deserialize, Serialize};
use taichu_storage::Database;
use taichu_storage::entities::machines::Model as Machine;
use taichu_storage::repositories::machines::{self, status};
use taichu_storage::secrets::SecretBox;

use crate::context::StepContext;
use crate::definition::{StepSpec, Workflow};
use crate::error::StepError;
use crate::ssh::{RemoteCommand, SshAuth, SshSession, SshTarget};

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

/// The workflow; it holds the key to open machine credentials.
#[derive(Debug, Clone)]
pub struct CheckMachine {
    secrets: SecretBox,
}

impl CheckMachine {
    pub fn new(secrets: SecretBox) -> Self {
        Self { secrets }
    }
}

/// How to reach `machine`, with its credentials decrypted.
pub fn ssh_target(machine: &Machine, secrets: &SecretBox) -> Result<SshTarget, StepError> {
    let open = |stored: &str| {
        secrets
            .decrypt_str(stored)
            .map_err(|e| StepError::permanent(e.to_string()))
    };
    let auth = match (&machine.private_key_enc, &machine.password_enc) {
        (Some(key), _) => SshAuth::Key {
            pem: open(key)?,
            passphrase: machine.passphrase_enc.as_deref().map(open).transpose()?,
        },
        (None, Some(password)) => SshAuth::Password(open(password)?),
        (None, None) => {
            return Err(StepError::permanent(
                "the machine has neither a password nor a private key",
            ));
        }
    };
    Ok(SshTarget {
        host: machine.ip.clone(),
        port: u16::try_from(machine.port).map_err(|_| StepError::permanent("invalid port"))?,
        username: machine.username.clone(),
        auth,
        host_key: machine.host_key_fingerprint.clone(),
        connect_timeout: Duration::from_secs(10),
    })
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
                let target = ssh_target(&machine, &self.secrets)?;
                ctx.info(format!(
                    "connecting to {}@{}:{}",
                    target.username, target.host, target.port
                ))
                .await;
                let session = SshSession::connect(&target).await?;
                if machine.host_key_fingerprint.is_none() {
                    // Trust on first use: pin before anything else is done on the host.
                    let mut row = machine.clone().into_active_model();
                    row.host_key_fingerprint = Set(Some(session.fingerprint().to_owned()));
                    machines::save(&ctx.db, row).await?;
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
                let in_use = machine.status == status::IN_USE;
                let mut row = machine.into_active_model();
                if !in_use {
                    row.status = Set(status::READY.to_owned());
                }
                row.status_message = Set(Some("reachable over SSH".to_owned()));
                row.last_check_at = Set(Some(Utc::now()));
                row.hostname = Set(Some(facts.hostname));
                row.kernel = Set(Some(facts.kernel));
                row.arch = Set(Some(facts.arch));
                row.os = Set(Some(facts.os));
                row.cpu_cores = Set(facts.cpu_cores);
                row.memory_bytes = Set(facts.memory_bytes);
                machines::save(&ctx.db, row).await?;
                Ok(())
            }
            other => Err(StepError::permanent(format!("unknown step {other}"))),
        }
    }

    async fn on_failure(&self, db: &Database, input: &CheckMachineInput, error: &str) -> Result<(), StepError> {
        let machine = load(db, &input.machine_id).await?;
        let in_use = machine.status == status::IN_USE;
        let mut row = machine.into_active_model();
        if !in_use {
            row.status = Set(status::UNREACHABLE.to_owned());
        }
        row.status_message = Set(Some(error.to_owned()));
        row.last_check_at = Set(Some(Utc::now()));
        machines::save(db, row).await?;
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

//! `teardown_cluster`: undoes what `create_cluster` made. `kubeadm reset -f`
//! and the network plugin's files removed on every machine of the cluster,
//! then the cluster's records deleted, which frees its machines (still
//! `ready`) for another cluster. Steps: reset → forget. Resetting a host
//! that was reset already is harmless, so a re-run is safe.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use taichu_storage::repositories::{clusters, machines};

use crate::context::StepContext;
use crate::definition::{Planned, StepSpec, Workflow};
use crate::error::StepError;
use crate::ssh::{self, RemoteCommand};

const RESET_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeardownInput {
    pub cluster_id: String,
    pub cluster_name: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TeardownState {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// `kubeadm reset -f` and the CNI configuration removed on every machine.
    Reset,
    /// The cluster's records deleted; its machines free again.
    Forget,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TeardownCluster;

#[async_trait]
impl Workflow for TeardownCluster {
    const KIND: &'static str = "teardown_cluster";
    type Input = TeardownInput;
    type State = TeardownState;
    type Step = Step;

    fn plan(&self, _input: &TeardownInput) -> Result<Vec<Planned<Step>>, String> {
        Ok(vec![
            StepSpec::new("reset")
                .weight(4)
                .timeout(RESET_TIMEOUT + Duration::from_secs(60))
                .max_attempts(3)
                .backoff(Duration::from_secs(2))
                .of(Step::Reset),
            StepSpec::new("forget")
                .timeout(Duration::from_secs(60))
                .of(Step::Forget),
        ])
    }

    async fn run(
        &self,
        ctx: &StepContext,
        step: &Step,
        input: &TeardownInput,
        _state: &mut TeardownState,
    ) -> Result<(), StepError> {
        match step {
            Step::Reset => reset(ctx, input).await,
            Step::Forget => forget(ctx, input).await,
        }
    }
}

async fn reset(ctx: &StepContext, input: &TeardownInput) -> Result<(), StepError> {
    for m in machines::of_cluster(ctx.db(), &input.cluster_id).await? {
        let host = format!("{} ({})", m.name, m.ip);
        let session = ssh::connect_machine(&m, ctx.env()).await?;
        let result = async {
            let reset = RemoteCommand::new("sudo").args(["kubeadm", "reset", "-f"]);
            crate::etcd::remote::run(&session, ctx, &host, &reset, RESET_TIMEOUT).await?;
            // The directory's contents: the directory itself may be a mount point.
            let cni = RemoteCommand::new("sudo")
                .args(["sh", "-c", r#"[ ! -d "$1" ] || find "$1" -mindepth 1 -delete"#, "sh"])
                .arg("/etc/cni/net.d");
            crate::etcd::remote::run(&session, ctx, &host, &cni, RESET_TIMEOUT).await?;
            Ok::<_, StepError>(())
        }
        .await;
        session.close().await;
        result?;
        ctx.info(format!("{host}: reset"));
    }
    Ok(())
}

async fn forget(ctx: &StepContext, input: &TeardownInput) -> Result<(), StepError> {
    // Deleting the cluster frees its machines (the key goes NULL) and its schedules.
    clusters::delete(ctx.db(), &input.cluster_id).await?;
    ctx.info(format!("cluster {} torn down and forgotten", input.cluster_name));
    Ok(())
}

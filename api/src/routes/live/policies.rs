//! The policy views: NetworkPolicies as ingress and egress rules, and
//! autoscaling/v2 HorizontalPodAutoscalers, with the seed's snake_case keys.

use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use poem_openapi::Object;
use taichu_workflows::kube;

use super::client;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct PolicyRule {
    /// `ingress` or `egress`.
    pub direction: String,
    pub from: Vec<serde_json::Value>,
    pub to: Vec<serde_json::Value>,
    pub ports: Vec<serde_json::Value>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SecurityPolicy {
    pub name: String,
    #[oai(rename = "type")]
    pub policy_type: String,
    pub namespace: String,
    pub rules: Vec<PolicyRule>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SecurityPolicyList {
    pub policies: Vec<SecurityPolicy>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ScaleTarget {
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AutoscalingPolicy {
    pub name: String,
    #[oai(rename = "type")]
    pub policy_type: String,
    pub namespace: String,
    pub target: ScaleTarget,
    pub min_replicas: Option<i32>,
    pub max_replicas: i32,
    /// As in autoscaling/v2, with snake_case keys.
    pub metrics: Vec<serde_json::Value>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AutoscalingPolicyList {
    pub policies: Vec<AutoscalingPolicy>,
}

/// Cluster `id`'s NetworkPolicies.
pub(super) async fn network(state: &AppState, id: &str) -> Result<SecurityPolicyList, ApiError> {
    let client = client(state, id).await?;
    let policies = kube::list_all::<NetworkPolicy>(&client)
        .await?
        .into_iter()
        .map(|p| {
            let spec = p.spec.unwrap_or_default();
            let mut rules: Vec<PolicyRule> = spec
                .ingress
                .unwrap_or_default()
                .into_iter()
                .map(|r| PolicyRule {
                    direction: "ingress".into(),
                    from: to_values(r.from),
                    to: vec![],
                    ports: to_values(r.ports),
                })
                .collect();
            rules.extend(spec.egress.unwrap_or_default().into_iter().map(|r| PolicyRule {
                direction: "egress".into(),
                from: vec![],
                to: to_values(r.to),
                ports: to_values(r.ports),
            }));
            SecurityPolicy {
                name: p.metadata.name.unwrap_or_default(),
                policy_type: "NetworkPolicy".into(),
                namespace: p.metadata.namespace.unwrap_or_default(),
                rules,
            }
        })
        .collect();
    Ok(SecurityPolicyList { policies })
}

/// Cluster `id`'s HorizontalPodAutoscalers.
pub(super) async fn autoscaling(state: &AppState, id: &str) -> Result<AutoscalingPolicyList, ApiError> {
    let client = client(state, id).await?;
    let policies = kube::list_all::<HorizontalPodAutoscaler>(&client)
        .await?
        .into_iter()
        .map(|h| {
            let spec = h.spec.unwrap_or_default();
            AutoscalingPolicy {
                name: h.metadata.name.unwrap_or_default(),
                policy_type: "HorizontalPodAutoscaler".into(),
                namespace: h.metadata.namespace.unwrap_or_default(),
                target: ScaleTarget {
                    kind: spec.scale_target_ref.kind,
                    name: spec.scale_target_ref.name,
                },
                min_replicas: spec.min_replicas,
                max_replicas: spec.max_replicas,
                metrics: to_values(spec.metrics),
            }
        })
        .collect();
    Ok(AutoscalingPolicyList { policies })
}

/// JSON of a k8s object with snake_case keys, as the seed's field names are.
fn snake(value: serde_json::Value) -> serde_json::Value {
    fn key(k: &str) -> String {
        let mut out = String::new();
        for c in k.chars() {
            if c.is_ascii_uppercase() {
                out.push('_');
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
    match value {
        serde_json::Value::Object(map) => {
            serde_json::Value::Object(map.into_iter().map(|(k, v)| (key(&k), snake(v))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.into_iter().map(snake).collect()),
        other => other,
    }
}

fn to_values<T: serde::Serialize>(items: Option<Vec<T>>) -> Vec<serde_json::Value> {
    items
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| serde_json::to_value(i).ok())
        .map(snake)
        .collect()
}

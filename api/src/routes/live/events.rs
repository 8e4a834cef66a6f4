//! The events view: newest first, read a page at a time, keeping only the
//! newest the requested page can show (memory follows the page, not the
//! cluster).

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Event;
use poem_openapi::Object;
use taichu_storage::PageRequest;
use taichu_workflows::kube;

use super::{client, page_of};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EventView {
    pub id: String,
    #[oai(rename = "type")]
    pub event_type: String,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub namespace: Option<String>,
    /// `Kind/name` of the object the event is about.
    pub object: Option<String>,
    pub count: i32,
    pub first_timestamp: Option<DateTime<Utc>>,
    pub last_timestamp: Option<DateTime<Utc>>,
}

#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EventList {
    pub events: Vec<EventView>,
    pub total: u64,
}

/// The page of cluster `id`'s events (of `event_type`, if given), newest first.
pub(super) async fn newest(
    state: &AppState,
    id: &str,
    event_type: Option<String>,
    page: PageRequest,
) -> Result<EventList, ApiError> {
    let keep = usize::try_from(page.offset() + page.limit).unwrap_or(usize::MAX);
    let newest_first = |events: &mut Vec<EventView>| events.sort_by_key(|e| std::cmp::Reverse(e.last_timestamp));
    let (mut events, mut total) = (Vec::new(), 0u64);
    let client = client(state, id).await?;
    kube::for_each(&::kube::Api::<Event>::all(client), |e| {
        let view = event_view(e);
        if event_type.as_ref().is_some_and(|t| *t != view.event_type) {
            return;
        }
        total += 1;
        events.push(view);
        if events.len() >= keep.saturating_mul(2).max(2) {
            newest_first(&mut events);
            events.truncate(keep);
        }
    })
    .await?;
    newest_first(&mut events);
    Ok(EventList {
        events: page_of(events, page),
        total,
    })
}

fn chrono_time(t: &k8s_openapi::jiff::Timestamp) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.as_second(), u32::try_from(t.subsec_nanosecond()).unwrap_or(0))
}

fn event_view(e: Event) -> EventView {
    EventView {
        id: e.metadata.uid.clone().unwrap_or_default(),
        event_type: e.type_.clone().unwrap_or_else(|| "Normal".into()),
        reason: e.reason.clone(),
        message: e.message.clone(),
        namespace: e.metadata.namespace.clone(),
        object: e
            .involved_object
            .name
            .as_ref()
            .map(|n| format!("{}/{n}", e.involved_object.kind.clone().unwrap_or_default())),
        count: e.count.unwrap_or(1),
        first_timestamp: e.first_timestamp.as_ref().and_then(|t| chrono_time(&t.0)),
        last_timestamp: e.last_timestamp.as_ref().and_then(|t| chrono_time(&t.0)),
    }
}

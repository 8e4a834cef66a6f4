//! The Kubernetes adapter's errors, in the classes its callers act on.
//! Upstream text is tidied (one short line) and bodies that are not a
//! Kubernetes `Status` are never repeated.

use crate::egress::EgressError;
use crate::error::StepError;
use crate::upstream::tidy;

/// What went wrong talking to a cluster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KubeError {
    /// The kubeconfig is unusable or refused by the policy.
    #[error("kubeconfig: {0}")]
    Kubeconfig(String),
    /// The network policy refused the destination.
    #[error(transparent)]
    Egress(#[from] EgressError),
    #[error("the API server refused the credentials ({code}): {message}")]
    Auth { code: u16, message: String },
    #[error("TLS with the API server failed: {0}")]
    Tls(String),
    #[error("cannot reach the API server: {0}")]
    Unreachable(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A 5xx: the server may recover.
    #[error("API server error ({code}): {message}")]
    Server { code: u16, message: String },
    /// Any other refusal (4xx).
    #[error("API server answered {code}: {message}")]
    Rejected { code: u16, message: String },
    /// The server sent more than Taichu reads from one cluster.
    #[error("{0}")]
    Limit(String),
}

impl KubeError {
    /// Whether another attempt may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, KubeError::Unreachable(_) | KubeError::Server { .. })
    }
}

impl From<KubeError> for StepError {
    fn from(err: KubeError) -> Self {
        if err.is_transient() {
            StepError::Transient(err.to_string())
        } else {
            StepError::Permanent(err.to_string())
        }
    }
}

/// An error and every cause under it. io::Error's `source()` skips the error
/// it wraps (where rustls puts its own), so a wrapped error is the next cause.
fn chain<'a>(err: &'a (dyn std::error::Error + 'static)) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(err);
    while let Some(cause) = next {
        out.push(cause);
        next = match cause.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => cause.source(),
        };
    }
    out
}

/// What kube-client says when an error body was not a `Status` (then the
/// message is the raw body, which we do not repeat).
const UNPARSED_BODY: &str = "Failed to parse error data";

/// Maps a kube error to its class.
pub fn classify(err: kube::Error) -> KubeError {
    if let kube::Error::Api(status) = &err {
        let code = status.code;
        let message = if status.reason == UNPARSED_BODY {
            "(the reply was not a Kubernetes Status; not shown)".to_owned()
        } else {
            tidy(&status.message)
        };
        return match code {
            401 | 403 => KubeError::Auth { code, message },
            404 => KubeError::NotFound(message),
            409 => KubeError::Conflict(message),
            500.. => KubeError::Server { code, message },
            _ => KubeError::Rejected { code, message },
        };
    }
    let causes = chain(&err);
    // hyper's own text ("client error (SendRequest)") hides the reason, which
    // sits deep in the chain: say all of it.
    let mut reason: Vec<String> = Vec::new();
    for text in causes.iter().map(ToString::to_string) {
        if !reason.iter().any(|r| r.contains(&text)) {
            reason.push(text);
        }
    }
    let reason = tidy(&reason.join(": "));
    let too_large = causes
        .iter()
        .any(|c| c.is::<http_body_util::LengthLimitError>() || c.to_string() == "length limit exceeded");
    if too_large {
        return KubeError::Limit(format!(
            "the API server sent a reply larger than {} MiB; not read",
            super::client::MAX_REPLY_BYTES >> 20
        ));
    }
    // A TLS failure (an untrusted certificate, a refused handshake) comes
    // back the same on every attempt: no retry.
    if causes.iter().any(|c| c.is::<rustls::Error>()) {
        KubeError::Tls(reason)
    } else {
        KubeError::Unreachable(reason)
    }
}

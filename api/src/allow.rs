//! The `Allow` header of a 405: which methods a path takes, read once from
//! the OpenAPI document the routes generate (so it cannot drift from them).

use std::sync::OnceLock;

/// Path templates (split into segments, `{…}` matching any one) and their methods.
type Templates = Vec<(Vec<String>, String)>;

fn templates() -> &'static Templates {
    static TEMPLATES: OnceLock<Templates> = OnceLock::new();
    TEMPLATES.get_or_init(|| {
        let spec: serde_json::Value = serde_json::from_str(&crate::server::openapi_spec()).unwrap_or_default();
        let Some(paths) = spec.get("paths").and_then(|p| p.as_object()) else {
            return Vec::new();
        };
        paths
            .iter()
            .map(|(path, ops)| {
                let segments = path.trim_matches('/').split('/').map(str::to_owned).collect();
                let mut methods: Vec<String> = ops
                    .as_object()
                    .map(|o| o.keys().map(|m| m.to_ascii_uppercase()).collect())
                    .unwrap_or_default();
                methods.sort();
                (segments, methods.join(", "))
            })
            .collect()
    })
}

/// The methods `/api/v1/…` path `path` takes, as an `Allow` value; the
/// template with the most literal segments wins, as in the router.
pub fn methods_of(path: &str) -> Option<String> {
    let rest = path.strip_prefix("/api/v1")?;
    let asked: Vec<&str> = rest.trim_matches('/').split('/').collect();
    templates()
        .iter()
        .filter(|(segments, _)| {
            segments.len() == asked.len()
                && segments
                    .iter()
                    .zip(&asked)
                    .all(|(t, a)| (t.starts_with('{') && !a.is_empty()) || t == a)
        })
        .max_by_key(|(segments, _)| segments.iter().filter(|s| !s.starts_with('{')).count())
        .map(|(_, methods)| methods.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_paths_win_over_templates() {
        assert_eq!(methods_of("/api/v1/clusters").as_deref(), Some("GET, POST"));
        assert_eq!(methods_of("/api/v1/clusters/topology").as_deref(), Some("GET"));
        assert_eq!(methods_of("/api/v1/clusters/abc").as_deref(), Some("DELETE, GET"));
        assert_eq!(methods_of("/api/v1/nowhere/at/all"), None);
        assert_eq!(methods_of("/healthz"), None);
    }
}

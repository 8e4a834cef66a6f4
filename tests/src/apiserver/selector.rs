//! Label and field selectors in the syntax the real server accepts:
//! `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, joined by commas.

use super::status::{Failure, Outcome};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector(Vec<Requirement>);

/// Splits on commas outside parentheses.
fn terms(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn key(text: &str, whole: &str) -> Outcome<String> {
    let key = text.trim();
    let valid = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if valid {
        Ok(key.to_owned())
    } else {
        Err(Failure::bad_request(format!(
            "unable to parse requirement: invalid key in {whole:?}"
        )))
    }
}

fn set(text: &str, whole: &str) -> Outcome<Vec<String>> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| Failure::bad_request(format!("unable to parse requirement: expected (values) in {whole:?}")))?;
    Ok(inner.split(',').map(|v| v.trim().to_owned()).collect())
}

fn requirement(term: &str) -> Outcome<Requirement> {
    let t = term.trim();
    if let Some(rest) = t.strip_prefix('!') {
        return Ok(Requirement::DoesNotExist(key(rest, term)?));
    }
    if let Some((k, v)) = t.split_once("!=") {
        return Ok(Requirement::NotEquals(key(k, term)?, v.trim().to_owned()));
    }
    if let Some((k, v)) = t.split_once("==").or_else(|| t.split_once('=')) {
        return Ok(Requirement::Equals(key(k, term)?, v.trim().to_owned()));
    }
    if let Some((k, v)) = t.split_once(" notin ") {
        return Ok(Requirement::NotIn(key(k, term)?, set(v, term)?));
    }
    if let Some((k, v)) = t.split_once(" in ") {
        return Ok(Requirement::In(key(k, term)?, set(v, term)?));
    }
    Ok(Requirement::Exists(key(t, term)?))
}

impl Selector {
    pub fn parse(text: &str) -> Outcome<Self> {
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        terms(text)
            .into_iter()
            .map(requirement)
            .collect::<Outcome<_>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when every requirement holds; `lookup` gives a key's value.
    pub fn matches<'a>(&self, lookup: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => lookup(k) == Some(v.as_str()),
            Requirement::NotEquals(k, v) => lookup(k) != Some(v.as_str()),
            Requirement::In(k, vs) => lookup(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Requirement::NotIn(k, vs) => lookup(k).is_none_or(|x| vs.iter().all(|v| v != x)),
            Requirement::Exists(k) => lookup(k).is_some(),
            Requirement::DoesNotExist(k) => lookup(k).is_none(),
        })
    }

    /// Field selectors allow only `=`, `==` and `!=`.
    pub fn check_field_selector(&self) -> Outcome<()> {
        let ok = self
            .0
            .iter()
            .all(|r| matches!(r, Requirement::Equals(..) | Requirement::NotEquals(..)));
        ok.then_some(())
            .ok_or_else(|| Failure::bad_request("field selectors support only =, == and !="))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn matches(selector: &str, labels: &[(&str, &str)]) -> bool {
        let labels: HashMap<&str, &str> = labels.iter().copied().collect();
        Selector::parse(selector)
            .expect("parses")
            .matches(|k| labels.get(k).copied())
    }

    #[test]
    fn equality_sets_and_existence() {
        let web = [("app", "web"), ("tier", "front")];
        assert!(matches("", &web));
        assert!(matches("app=web", &web));
        assert!(matches("app==web,tier=front", &web));
        assert!(!matches("app=web,tier=back", &web));
        assert!(matches("app!=db", &web));
        assert!(matches("tier in (front, back)", &web));
        assert!(!matches("tier notin (front)", &web));
        assert!(matches("tier notin (back),app", &web));
        assert!(matches("!missing", &web));
        assert!(!matches("missing", &web));
        assert!(!matches("!app", &web));
        assert!(matches("missing!=x", &web), "!= holds for an absent key, as upstream");
    }

    #[test]
    fn malformed_selectors_are_refused() {
        for bad in ["app in web", "=x", "a b=c", "a in (x"] {
            assert!(Selector::parse(bad).is_err(), "{bad}");
        }
    }
}

//! Input checks shared by handlers. Each error names the field it is about.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::error::ApiError;

/// Longest password accepted anywhere (it bounds hashing work).
pub const MAX_PASSWORD: usize = 1024;
/// Labels a machine may carry.
pub const MAX_LABELS: usize = 64;

/// `min`-`max` characters of `A-Z a-z 0-9 _ . -`: account and machine names.
pub fn name(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let ok = (min..=max).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{field}: must be {min}-{max} characters of A-Z, a-z, 0-9, '_', '.', '-'"
        )))
    }
}

/// Account names: 3-64 characters of `A-Z a-z 0-9 _ . -`.
pub fn username(value: &str) -> Result<(), ApiError> {
    name("username", value, 3, 64)
}

/// At least 8 characters, and at most [`MAX_PASSWORD`] bytes to bound hashing work.
pub fn new_password(field: &str, value: &str) -> Result<(), ApiError> {
    if value.len() > MAX_PASSWORD {
        return Err(ApiError::bad_request(format!(
            "{field}: must be at most {MAX_PASSWORD} bytes"
        )));
    }
    if value.chars().count() < 8 {
        return Err(ApiError::bad_request(format!("{field}: must be at least 8 characters")));
    }
    Ok(())
}

/// A plausible address: `local@domain.tld`, no spaces, at most 254 characters.
pub fn email(value: &str) -> Result<(), ApiError> {
    let valid = value.len() <= 254
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && match value.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if valid {
        Ok(())
    } else {
        Err(ApiError::bad_request("email: not a valid email address"))
    }
}

/// A short machine-readable word: 1-`max` characters of `A-Z a-z 0-9 _ . : -`.
pub fn token(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let ok = (1..=max).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{field}: must be 1-{max} characters of A-Z, a-z, 0-9, '_', '.', ':', '-'"
        )))
    }
}

/// Characters that hide or reorder what a reader sees: controls (but for
/// newlines and tabs) and bidirectional overrides.
fn deceptive(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Free text of at most `max` characters, without control or bidi characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() > max {
        return Err(ApiError::bad_request(format!(
            "{field}: must be at most {max} characters"
        )));
    }
    if value.chars().any(deceptive) {
        return Err(ApiError::bad_request(format!(
            "{field}: must not contain control or bidirectional-override characters"
        )));
    }
    Ok(())
}

/// At most [`MAX_LABELS`] labels; keys are short words, values short text.
pub fn labels(field: &str, labels: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if labels.len() > MAX_LABELS {
        return Err(ApiError::bad_request(format!("{field}: at most {MAX_LABELS} labels")));
    }
    for (k, v) in labels {
        token(field, k, 63)?;
        text(field, v, 253)?;
    }
    Ok(())
}

/// An IPv4 or IPv6 address, in its canonical form.
pub fn ip(field: &str, value: &str) -> Result<String, ApiError> {
    value
        .parse::<IpAddr>()
        .map(|a| a.to_string())
        .map_err(|_| ApiError::bad_request(format!("{field}: not a valid IPv4 or IPv6 address")))
}

/// A TCP port, 1-65535.
pub fn port(field: &str, value: u16) -> Result<i32, ApiError> {
    if value == 0 {
        Err(ApiError::bad_request(format!("{field}: must be 1-65535")))
    } else {
        Ok(i32::from(value))
    }
}

/// POSIX user names: a letter or `_`, then letters, digits, `_`, `-`, `.`; at most 32.
pub fn posix_user(field: &str, name: &str) -> Result<(), ApiError> {
    let mut chars = name.chars();
    let ok = name.len() <= 32
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!("{field}: not a valid user name")))
    }
}

/// An optional word (a status filter) parsed into its enum; 400 naming the field.
pub fn word<T: std::str::FromStr<Err = String>>(field: &str, value: Option<String>) -> Result<Option<T>, ApiError> {
    value
        .map(|v| v.parse::<T>())
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("{field}: {e}")))
}

/// One of `allowed`.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), ApiError> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{field}: must be one of {}",
            allowed.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        for good in ["bob", "a.b-c_d", &"x".repeat(64)] {
            assert!(username(good).is_ok(), "{good}");
        }
        for bad in ["ab", "bob smith", "bob;rm", "böb", &"x".repeat(65), ""] {
            assert!(username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_and_emails() {
        assert!(new_password("password", "1234567").is_err());
        assert!(new_password("password", "12345678").is_ok());
        assert!(email("a@example.com").is_ok());
        for bad in [
            "a",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@@example.com",
            "a@.com",
            "a@example..com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn text_refuses_hidden_characters_and_labels_are_bounded() {
        assert!(text("d", "line one\nline two\tok", 100).is_ok());
        assert!(text("d", "evil\u{202e}txt.exe", 100).is_err());
        assert!(text("d", "bell\u{7}", 100).is_err());
        let many: BTreeMap<String, String> = (0..65).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(labels("labels", &many).is_err());
        let long: BTreeMap<String, String> = [("k".to_owned(), "v".repeat(254))].into();
        assert!(labels("labels", &long).is_err());
    }

    #[test]
    fn tokens() {
        assert!(token("action", "CREATE_CLUSTER", 64).is_ok());
        assert!(token("action", "", 64).is_err());
        assert!(token("action", "drop table;", 64).is_err());
    }
}

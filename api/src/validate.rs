//! Input checks shared by handlers. Each error names the field it is about.

use crate::error::ApiError;

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

/// At least 8 characters (and at most 1024, to bound hashing work).
pub fn new_password(field: &str, value: &str) -> Result<(), ApiError> {
    match value.chars().count() {
        0..8 => Err(ApiError::bad_request(format!("{field}: must be at least 8 characters"))),
        8..=1024 => Ok(()),
        _ => Err(ApiError::bad_request(format!(
            "{field}: must be at most 1024 characters"
        ))),
    }
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

/// Free text of at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.chars().count() <= max {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "{field}: must be at most {max} characters"
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
    fn tokens() {
        assert!(token("action", "CREATE_CLUSTER", 64).is_ok());
        assert!(token("action", "", 64).is_err());
        assert!(token("action", "drop table;", 64).is_err());
    }
}

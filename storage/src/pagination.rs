//! Page/limit pagination shared by every list endpoint.

/// Largest page a caller may ask for.
pub const MAX_LIMIT: u64 = 100;
/// Page size when the caller gives none.
pub const DEFAULT_LIMIT: u64 = 20;
/// Deepest page a caller may ask for, so `page × limit` never overflows an offset.
pub const MAX_PAGE: u64 = 100_000;

/// A validated page request: `page` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub limit: u64,
}

impl PageRequest {
    /// Validates raw query values; the error names the offending field.
    pub fn new(page: Option<u64>, limit: Option<u64>) -> Result<Self, &'static str> {
        let page = page.unwrap_or(1);
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if page == 0 || page > MAX_PAGE {
            return Err("page must be between 1 and 100000");
        }
        if limit == 0 || limit > MAX_LIMIT {
            return Err("limit must be between 1 and 100");
        }
        Ok(Self { page, limit })
    }

    /// Zero-based page index, as sea-orm's paginator counts.
    pub fn index(&self) -> u64 {
        self.page - 1
    }

    /// Items before this page (bounded: pages and limits are capped).
    pub fn offset(&self) -> u64 {
        self.index() * self.limit
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            limit: DEFAULT_LIMIT,
        }
    }
}

/// One page of items and the total number of matching rows.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_zero_page_and_oversized_limit() {
        assert_eq!(
            PageRequest::new(Some(0), None),
            Err("page must be between 1 and 100000")
        );
        assert!(PageRequest::new(Some(u64::MAX), Some(100)).is_err(), "no overflow");
        assert_eq!(
            PageRequest::new(Some(MAX_PAGE), Some(100)).map(|p| p.offset()),
            Ok(9_999_900)
        );
        assert!(PageRequest::new(None, Some(101)).is_err());
        assert!(PageRequest::new(None, Some(0)).is_err());
        assert_eq!(PageRequest::new(None, None), Ok(PageRequest { page: 1, limit: 20 }));
        assert_eq!(PageRequest::new(Some(3), Some(100)).map(|p| p.index()), Ok(2));
    }
}

//! Page/limit pagination shared by every list endpoint.

use sea_orm::sea_query::Expr;
use sea_orm::{Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select};

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

/// Every row of `E` that `cond` admits. An empty condition adds no `WHERE`
/// at all: SQLite counts a bare table from its b-tree, but scans every row
/// for `WHERE TRUE`.
pub fn filtered<E: EntityTrait>(cond: Condition) -> Select<E> {
    if cond.is_empty() {
        E::find()
    } else {
        E::find().filter(cond)
    }
}

/// One page of `select`, sorted by `order`, and how many rows `select` matches.
/// The count is skipped when the page itself tells it (a short or empty first
/// page), and is otherwise a plain `COUNT(*)` with the same filter: sea-orm's
/// paginator counts over a subquery of every column, which SQLite pays for.
pub async fn page_of<E>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    order: &[(E::Column, Order)],
    page: PageRequest,
) -> crate::Result<Page<E::Model>>
where
    E: EntityTrait,
{
    let mut ordered = select.clone();
    for (column, direction) in order {
        ordered = ordered.order_by(*column, direction.clone());
    }
    let items = ordered.offset(page.offset()).limit(page.limit).all(db).await?;
    let shown = items.len() as u64;
    let told = (shown > 0 && shown < page.limit) || (shown == 0 && page.index() == 0);
    let total = if told {
        page.offset() + shown
    } else {
        select
            .select_only()
            .column_as(Expr::cust("COUNT(*)"), "n")
            .into_tuple::<i64>()
            .one(db)
            .await?
            .map_or(0, |n| n.max(0) as u64)
    };
    Ok(Page { items, total })
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

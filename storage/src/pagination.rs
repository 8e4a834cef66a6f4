//! Page/limit pagination shared by every list endpoint.

use sea_orm::sea_query::Expr;
use sea_orm::{
    Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    Statement,
};

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

/// Tables whose rows `row_counts` keeps counted (by triggers, in the same
/// transaction as each insert and delete: see the migration
/// `list_counts_and_search`).
const COUNTED: [&str; 3] = ["clusters", "workflow_runs", "audit_logs"];

/// The column a page's rows carry the counted total in.
const TOTAL: &str = "page_total";

/// The rows of `table` (one of [`COUNTED`]) as its counter rows say.
fn counter_sum(table: &str) -> String {
    format!("SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM row_counts WHERE table_name = '{table}'")
}

/// One page of the rows of `E` that `cond` admits, sorted by `order`, and
/// how many rows `cond` admits, in as few statements as the database allows:
///
/// - The total of an unfiltered, counted table comes from its counter rows,
///   in the same statement as the page (a scalar subquery, run once).
/// - A short or empty first page tells its total itself.
/// - Otherwise a plain `COUNT(*)` follows: sea-orm's paginator counts over a
///   subquery of every column, which SQLite pays for.
///
/// `LIMIT` and `OFFSET` are written into the SQL as numbers (both are
/// bounded integers): bound, they made PostgreSQL plan the statement afresh
/// on every execution, a third of its work for a page.
pub async fn page_of<E>(
    db: &impl ConnectionTrait,
    cond: Condition,
    order: &[(E::Column, Order)],
    page: PageRequest,
) -> crate::Result<Page<E::Model>>
where
    E: EntityTrait,
{
    let unfiltered = cond.is_empty();
    // An empty condition adds no `WHERE` at all: SQLite counts a bare table
    // from its b-tree, but scans every row for `WHERE TRUE`.
    let select = if unfiltered { E::find() } else { E::find().filter(cond) };
    let table = E::default().table_name().to_owned();
    let counted = unfiltered && COUNTED.contains(&table.as_str());
    let mut ordered = select.clone();
    for (column, direction) in order {
        ordered = ordered.order_by(*column, direction.clone());
    }
    if counted {
        ordered = ordered.expr_as(Expr::cust(format!("({})", counter_sum(&table))), TOTAL);
    }
    let mut statement = ordered.build(db.get_database_backend());
    statement
        .sql
        .push_str(&format!(" LIMIT {} OFFSET {}", page.limit, page.offset()));
    let rows = db.query_all_raw(statement).await?;
    let items = rows
        .iter()
        .map(|row| E::Model::from_query_result(row, ""))
        .collect::<Result<Vec<_>, _>>()?;
    let shown = items.len() as u64;
    let told = (shown > 0 && shown < page.limit) || (shown == 0 && page.index() == 0);
    let total = match rows.first() {
        _ if told => page.offset() + shown,
        Some(row) if counted => row.try_get::<i64>("", TOTAL)?.max(0) as u64,
        // A page past the end of a counted table.
        None if counted => {
            let statement = Statement::from_string(db.get_database_backend(), counter_sum(&table));
            match db.query_one_raw(statement).await? {
                Some(row) => row.try_get_by_index::<i64>(0)?.max(0) as u64,
                None => 0,
            }
        }
        _ => select
            .select_only()
            .column_as(Expr::cust("COUNT(*)"), "n")
            .into_tuple::<i64>()
            .one(db)
            .await?
            .map_or(0, |n| n.max(0) as u64),
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

//! Laravel-style pages: reading `page` and `per_page`, answering one page of a list.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::Response;

use crate::input::{Fields, Query};
use crate::reply::{Fail, Json, object, page};
use crate::server::AppState;

/// Laravel's default page size, and the largest the sandbox serves.
const PER_PAGE: u64 = 15;
const MAX_PER_PAGE: u64 = 100;

/// The page a list request asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRequest {
    page: u64,
    per_page: u64,
}

impl PageRequest {
    /// `page` counts from 1; `per_page` defaults to 15 and is cut to 100.
    pub(crate) fn read(query: &Fields) -> Result<Self, Fail> {
        Ok(PageRequest {
            page: query.page_param("page", 1, u64::MAX)?,
            per_page: query.page_param("per_page", PER_PAGE, MAX_PER_PAGE)?,
        })
    }

    /// The list envelope of this page of `items`, each shown by `show` (`None` skips an
    /// item, which only an inconsistent state could produce).
    pub(crate) fn answer<T, V: Json>(
        self,
        items: &[T],
        show: impl Fn(&T) -> Option<V>,
    ) -> Response {
        let (range, pagination) = paginate(items.len(), self.page, self.per_page);
        let shown: Vec<V> = items[range].iter().filter_map(show).collect();
        page(shown, pagination)
    }
}

/// A list request's page, read from its query string.
impl FromRequestParts<AppState> for PageRequest {
    type Rejection = Fail;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Fail> {
        let Query(query) = Query::from_request_parts(parts, state).await?;
        PageRequest::read(&query)
    }
}

/// A Laravel paginator's block for `total` items, and the range of the page asked for.
fn paginate(total: usize, page: u64, per_page: u64) -> (std::ops::Range<usize>, impl Json) {
    let per = usize::try_from(per_page).unwrap_or(usize::MAX).max(1);
    let page_index = usize::try_from(page.saturating_sub(1)).unwrap_or(usize::MAX);
    let start = page_index.saturating_mul(per).min(total);
    let end = start.saturating_add(per).min(total);
    let shown = start < end;
    let block = object! {
        "current_page": page,
        "from": shown.then_some(start + 1),
        "last_page": total.div_ceil(per).max(1),
        "per_page": per_page,
        "to": shown.then_some(end),
        "total": total,
    };
    (start..end, block)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reply::json_text;

    #[test]
    fn pagination_matches_laravel() {
        let paged = |total, page, per| {
            let (range, block) = paginate(total, page, per);
            (
                range,
                serde_json::from_str::<serde_json::Value>(&json_text(&block)).unwrap(),
            )
        };
        let (range, block) = paged(31, 2, 15);
        assert_eq!(range, 15..30);
        assert_eq!(block["last_page"], 3);
        assert_eq!(block["from"], 16);
        assert_eq!(block["to"], 30);
        let (range, block) = paged(0, 1, 15);
        assert!(range.is_empty());
        assert_eq!(block["last_page"], 1);
        assert_eq!(block["from"], serde_json::Value::Null);
        let (range, _) = paginate(5, u64::MAX, 100);
        assert!(range.is_empty());
        assert_eq!(
            json_text(&paginate(31, 2, 15).1),
            r#"{"current_page":2,"from":16,"last_page":3,"per_page":15,"to":30,"total":31}"#
        );
    }
}

//! Laravel-style pages: reading `page` and `per_page`, answering one page of a list.

use axum::response::Response;
use serde_json::Value;

use crate::input::Fields;
use crate::reply::{Fail, page};
use crate::world::paginate;

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
    pub(crate) fn answer<T>(self, items: &[T], show: impl Fn(&T) -> Option<Value>) -> Response {
        let (range, pagination) = paginate(items.len(), self.page, self.per_page);
        page(items[range].iter().filter_map(show).collect(), pagination)
    }
}

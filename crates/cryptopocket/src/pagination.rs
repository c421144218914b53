//! Paginated lists as streams.
//!
//! The list endpoints take `page` and `per_page` and answer with a `Pagination` object in
//! the style of Laravel's paginator (inferred: see the spec). A stream asks for page 1, 2, …
//! and stops after the last page or at an empty one. A server that serves the same page
//! again ends the stream with [`Error::RepeatedPage`] instead of looping forever.
//!
//! Every list has a `*_with` form that takes [`ListOptions`], to choose the page size
//! instead of the server's default (15, Laravel's):
//!
//! ```no_run
//! use cryptopocket::{Client, pagination::ListOptions};
//! use futures::TryStreamExt as _;
//!
//! # async fn run(client: Client) -> Result<(), cryptopocket::Error> {
//! let customers: Vec<_> = client
//!     .customers()
//!     .list_with(ListOptions {
//!         per_page: Some(100),
//!     })
//!     .try_collect()
//!     .await?;
//! # Ok(())
//! # }
//! ```

use std::{collections::BTreeSet, num::NonZeroU64};

use cryptopocket_api::types;
use futures::{Stream, StreamExt as _, future::BoxFuture, stream};

use crate::{Error, envelope::Parts};

/// The largest page size the API serves (inferred: the spec says so, and the sandbox cuts
/// larger requests to it).
const MAX_PER_PAGE: u64 = 100;

/// How to list: the page size. The default is the server's (15 items a page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListOptions {
    /// Items a page, from 1 to 100. Other values are refused with [`Error::InvalidRequest`]
    /// when the list is called, before anything is sent.
    pub per_page: Option<u64>,
}

impl ListOptions {
    /// The `per_page` query parameter to send, checked.
    pub(crate) fn per_page_param(&self) -> Result<Option<NonZeroU64>, Error> {
        self.per_page
            .map(|n| {
                NonZeroU64::new(n)
                    .filter(|n| n.get() <= MAX_PER_PAGE)
                    .ok_or_else(|| {
                        Error::InvalidRequest(format!(
                            "per_page must be from 1 to {MAX_PER_PAGE}, not {n}"
                        ))
                    })
            })
            .transpose()
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub items: Vec<T>,
    /// This page's number, from 1.
    pub page: i64,
    /// The number of the last page, when the server says.
    pub last_page: Option<i64>,
    /// The number of items in all pages, when the server says.
    pub total: Option<i64>,
}

impl<T> Page<T> {
    /// Whether a later page may hold more items.
    pub fn has_next(&self) -> bool {
        !self.items.is_empty() && self.last_page.is_some_and(|last| self.page < last)
    }

    pub(crate) fn from_parts<D>(
        requested: i64,
        parts: Parts<Vec<D>>,
        convert: impl Fn(D) -> Result<T, Error>,
    ) -> Result<Self, Error> {
        let items = parts
            .data
            .unwrap_or_default()
            .into_iter()
            .map(convert)
            .collect::<Result<_, _>>()?;
        let pagination: Option<types::Pagination> = parts.pagination;
        Ok(Self {
            items,
            // Without pagination data the server sent everything on one page.
            page: pagination
                .as_ref()
                .map_or(requested, |p| p.current_page.get()),
            last_page: pagination.as_ref().map(|p| p.last_page.get()),
            total: pagination.as_ref().map(|p| p.total.get()),
        })
    }
}

/// One page of a list, fetched through an area handle `A`.
pub(crate) type FetchPage<A, T> = fn(A, NonZeroU64) -> BoxFuture<'static, Result<Page<T>, Error>>;

/// Every item of every page, in order: `fetch(area, page)` for page 1, 2, … until the last
/// or an empty page.
pub(crate) fn items<A, T>(
    operation: &'static str,
    area: A,
    fetch: FetchPage<A, T>,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    A: Clone + Send + Sync + 'static,
    T: Send + 'static,
{
    struct State<A> {
        next: Option<NonZeroU64>,
        seen: BTreeSet<i64>,
        area: A,
    }
    let state = State {
        next: Some(NonZeroU64::MIN),
        seen: BTreeSet::new(),
        area,
    };
    stream::unfold(state, move |mut state| async move {
        let requested = state.next.take()?;
        let page = match fetch(state.area.clone(), requested).await {
            Ok(page) => page,
            Err(error) => return Some((vec![Err(error)], state)),
        };
        if !state.seen.insert(page.page) || page.page != number(requested) {
            let error = Error::RepeatedPage {
                operation,
                page: page.page,
            };
            return Some((vec![Err(error)], state));
        }
        if page.has_next() {
            state.next = requested.checked_add(1);
        }
        Some((page.items.into_iter().map(Ok).collect(), state))
    })
    .flat_map(stream::iter)
}

/// A page number as the pagination object reports it.
pub(crate) fn number(page: NonZeroU64) -> i64 {
    i64::try_from(page.get()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use futures::{FutureExt as _, TryStreamExt as _};

    use super::*;

    type Served = (Arc<Vec<(i64, Vec<u32>)>>, i64);

    /// Serves `served[n - 1]` for page n (an empty page past the end), claiming `last` pages.
    fn serve(
        (served, last): Served,
        requested: NonZeroU64,
    ) -> BoxFuture<'static, Result<Page<u32>, Error>> {
        let index = usize::try_from(requested.get() - 1).unwrap_or(usize::MAX);
        let (page, items) = served
            .get(index)
            .cloned()
            .unwrap_or((number(requested), vec![]));
        async move {
            Ok(Page {
                items,
                page,
                last_page: Some(last),
                total: None,
            })
        }
        .boxed()
    }

    fn pages(served: Vec<(i64, Vec<u32>)>, last: i64) -> Served {
        (Arc::new(served), last)
    }

    #[test]
    fn per_page_is_checked_before_sending() {
        assert_eq!(ListOptions::default().per_page_param().unwrap(), None);
        for ok in [1, 15, 100] {
            let param = ListOptions { per_page: Some(ok) }.per_page_param();
            let param = param.unwrap();
            assert_eq!(param.map(NonZeroU64::get), Some(ok));
        }
        for bad in [0, 101, u64::MAX] {
            let error = ListOptions {
                per_page: Some(bad),
            }
            .per_page_param();
            assert!(
                matches!(&error, Err(Error::InvalidRequest(m)) if m.starts_with("per_page ")),
                "{bad}: {error:?}"
            );
        }
    }

    #[tokio::test]
    async fn walks_every_page_once_and_stops_at_the_last() {
        let fetch = pages(vec![(1, vec![1, 2]), (2, vec![3]), (3, vec![4, 5])], 3);
        let all: Vec<u32> = items("listPayments", fetch, serve)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all, [1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn an_empty_page_ends_the_stream_even_if_last_page_says_more() {
        let fetch = pages(vec![(1, vec![1]), (2, vec![])], 9);
        let all: Vec<u32> = items("listPayments", fetch, serve)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all, [1]);
    }

    #[tokio::test]
    async fn a_repeated_page_is_an_error_not_a_loop() {
        // The server ignores `page` and serves page 1 every time.
        let fetch = pages(vec![(1, vec![1]), (1, vec![1]), (1, vec![1])], 3);
        let results: Vec<Result<u32, Error>> = items("listPayments", fetch, serve).collect().await;
        assert_eq!(results.len(), 2);
        assert!(matches!(
            results[1],
            Err(Error::RepeatedPage { page: 1, .. })
        ));
    }
}

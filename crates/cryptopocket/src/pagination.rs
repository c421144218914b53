//! Paginated lists as streams.
//!
//! The list endpoints take `page` and `per_page` and answer with a `Pagination` object in
//! the style of Laravel's paginator (inferred: see the spec). A stream asks for page 1, 2, …
//! and stops after the last page or at an empty one. A server that serves the same page
//! again ends the stream with [`Error::RepeatedPage`] instead of looping forever.

use std::collections::BTreeSet;

use cryptopocket_api::types;
use futures::{Stream, StreamExt as _, future::BoxFuture, stream};

use crate::{Error, envelope::Parts};

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
            page: pagination.as_ref().map_or(requested, |p| p.current_page),
            last_page: pagination.as_ref().map(|p| p.last_page),
            total: pagination.as_ref().map(|p| p.total),
        })
    }
}

/// Fetches one page by number.
pub(crate) type FetchPage<T> =
    Box<dyn Fn(i64) -> BoxFuture<'static, Result<Page<T>, Error>> + Send + Sync>;

/// Every item of every page, in order.
pub(crate) fn items<T: Send + 'static>(
    operation: &'static str,
    fetch: FetchPage<T>,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static {
    struct State<T> {
        next: Option<i64>,
        seen: BTreeSet<i64>,
        fetch: FetchPage<T>,
    }
    let state = State {
        next: Some(1),
        seen: BTreeSet::new(),
        fetch,
    };
    stream::unfold(state, move |mut state| async move {
        let requested = state.next.take()?;
        let page = match (state.fetch)(requested).await {
            Ok(page) => page,
            Err(error) => return Some((vec![Err(error)], state)),
        };
        if !state.seen.insert(page.page) || page.page != requested {
            let error = Error::RepeatedPage {
                operation,
                page: page.page,
            };
            return Some((vec![Err(error)], state));
        }
        if page.has_next() {
            state.next = Some(requested + 1);
        }
        Some((page.items.into_iter().map(Ok).collect(), state))
    })
    .flat_map(stream::iter)
}

#[cfg(test)]
mod tests {
    use futures::{FutureExt as _, TryStreamExt as _};

    use super::*;

    fn pages(served: Vec<(i64, Vec<u32>)>, last: i64) -> FetchPage<u32> {
        Box::new(move |requested| {
            let index = usize::try_from(requested - 1).unwrap_or(usize::MAX);
            let (page, items) = served.get(index).cloned().unwrap_or((requested, vec![]));
            async move {
                Ok(Page {
                    items,
                    page,
                    last_page: Some(last),
                    total: None,
                })
            }
            .boxed()
        })
    }

    #[tokio::test]
    async fn walks_every_page_once_and_stops_at_the_last() {
        let fetch = pages(vec![(1, vec![1, 2]), (2, vec![3]), (3, vec![4, 5])], 3);
        let all: Vec<u32> = items("listPayments", fetch).try_collect().await.unwrap();
        assert_eq!(all, [1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn an_empty_page_ends_the_stream_even_if_last_page_says_more() {
        let fetch = pages(vec![(1, vec![1]), (2, vec![])], 9);
        let all: Vec<u32> = items("listPayments", fetch).try_collect().await.unwrap();
        assert_eq!(all, [1]);
    }

    #[tokio::test]
    async fn a_repeated_page_is_an_error_not_a_loop() {
        // The server ignores `page` and serves page 1 every time.
        let fetch = pages(vec![(1, vec![1]), (1, vec![1]), (1, vec![1])], 3);
        let results: Vec<Result<u32, Error>> = items("listPayments", fetch).collect().await;
        assert_eq!(results.len(), 2);
        assert!(matches!(
            results[1],
            Err(Error::RepeatedPage { page: 1, .. })
        ));
    }
}

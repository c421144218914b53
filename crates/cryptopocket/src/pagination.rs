//! Paginated lists: one builder, [`List`], for every list of the API.
//!
//! The list endpoints take `page` and `per_page` and answer with a `Pagination` object in
//! the style of Laravel's paginator (inferred: see the spec). Each area's `list()` (and
//! [`BankAccounts::transactions`](crate::bank_accounts::BankAccounts::transactions)) gives a
//! [`List`]: set the page size with [`List::per_page`] (the server's default is 15,
//! Laravel's), then fetch one page with [`List::page`], every item with
//! [`List::try_collect`], or walk them lazily with [`List::stream`]. A stream asks for page
//! 1, 2, … and stops after the last page or at an empty one. A server that serves the same
//! page again ends the stream with [`Error::RepeatedPage`] instead of looping forever.
//!
//! ```no_run
//! use cryptopocket::Client;
//! use futures::TryStreamExt as _;
//!
//! # async fn run(client: Client) -> Result<(), cryptopocket::Error> {
//! let customers = client.customers().list().per_page(100).try_collect().await?;
//! let first = client.offramp().list().page(1).await?;
//! let mut payments = client.onramp().list().stream();
//! while let Some(payment) = payments.try_next().await? {
//!     println!("{}", payment.id);
//! }
//! # Ok(())
//! # }
//! ```

use std::{collections::BTreeSet, fmt, num::NonZeroU64};

use cryptopocket_api::{Endpoint, types};
use futures::{Stream, StreamExt as _, TryStreamExt as _, future::BoxFuture, stream};

use crate::{Client, Error, envelope::Parts};

/// The largest page size the API serves (inferred: the spec says so, and the sandbox cuts
/// larger requests to it).
const MAX_PER_PAGE: u64 = 100;

/// Which page to fetch, checked: what each list's fetch function sends.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PageRequest {
    /// The page number, from 1.
    pub(crate) page: NonZeroU64,
    /// The page size, when not the server's default.
    pub(crate) per_page: Option<NonZeroU64>,
}

/// Fetches one page of a list whose filters are `F`.
pub(crate) type Fetch<T, F> =
    fn(Client, F, PageRequest) -> BoxFuture<'static, Result<Page<T>, Error>>;

/// A list of `T` to fetch: a page, or every item, at a chosen page size. `F` holds the
/// list's own filters (for bank transactions, the IBAN and the booking dates), set with
/// the methods of that list.
///
/// Nothing is sent until [`page`](Self::page), [`try_collect`](Self::try_collect) or the
/// first poll of [`stream`](Self::stream). Input refused before sending (a page size out of
/// range, a date range that ends before it starts) is [`Error::InvalidRequest`]: the
/// answer of `page`, the only item of the stream.
#[must_use = "a list does nothing until a page or the stream is asked for"]
pub struct List<T, F = ()> {
    client: Client,
    operation: &'static str,
    per_page: Option<u64>,
    pub(crate) filter: F,
    fetch: Fetch<T, F>,
}

impl<T, F: Clone> Clone for List<T, F> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            operation: self.operation,
            per_page: self.per_page,
            filter: self.filter.clone(),
            fetch: self.fetch,
        }
    }
}

impl<T, F: fmt::Debug> fmt::Debug for List<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("List")
            .field("operation", &self.operation)
            .field("per_page", &self.per_page)
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

impl<T, F> List<T, F>
where
    T: Send + 'static,
    F: Clone + Send + Sync + 'static,
{
    /// The list of operation `E`, fetched page by page by `fetch`.
    pub(crate) fn new<E: Endpoint>(client: Client, filter: F, fetch: Fetch<T, F>) -> Self {
        Self {
            client,
            operation: E::OPERATION.id,
            per_page: None,
            filter,
            fetch,
        }
    }

    /// Items a page, from 1 to 100; the server's default (15) when not set. Another value
    /// is refused with [`Error::InvalidRequest`] when the list is fetched, before anything
    /// is sent.
    pub fn per_page(mut self, per_page: u64) -> Self {
        self.per_page = Some(per_page);
        self
    }

    /// Page `number` (from 1) of the list. The future owns what it needs: it does not
    /// borrow the list.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for page 0, a page size out of range or a filter the list
    /// refuses; see [`Error`].
    pub fn page(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Page<T>, Error>> + Send + 'static + use<T, F> {
        match NonZeroU64::new(number) {
            Some(page) => self.fetch_page(page),
            None => Box::pin(std::future::ready(Err(Error::InvalidRequest(
                "page must be 1 or more, not 0".into(),
            )))),
        }
    }

    /// Every item of every page, in order, fetched as the stream is polled. It stops after
    /// the last or an empty page; a page the server serves twice ends it with
    /// [`Error::RepeatedPage`]; input refused before sending is its only item. It is
    /// `Unpin`, so `while let Some(item) = stream.try_next().await` works as is.
    pub fn stream(
        &self,
    ) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static + use<T, F> {
        let list = self.clone();
        items(self.operation, move |page| list.fetch_page(page)).boxed()
    }

    /// Every item of every page, in order (see [`stream`](Self::stream)). The future owns
    /// what it needs: it does not borrow the list.
    ///
    /// # Errors
    ///
    /// The first error of the stream.
    pub fn try_collect(
        &self,
    ) -> impl Future<Output = Result<Vec<T>, Error>> + Send + 'static + use<T, F> {
        self.stream().try_collect()
    }

    fn fetch_page(&self, page: NonZeroU64) -> BoxFuture<'static, Result<Page<T>, Error>> {
        match per_page_param(self.per_page) {
            Ok(per_page) => (self.fetch)(
                self.client.clone(),
                self.filter.clone(),
                PageRequest { page, per_page },
            ),
            Err(error) => Box::pin(std::future::ready(Err(error))),
        }
    }
}

/// The first item of `list` (walked 100 a page) that `matches`, stopping there; `None`
/// after the last page.
pub(crate) async fn find<T, F>(
    list: List<T, F>,
    matches: impl Fn(&T) -> bool,
) -> Result<Option<T>, Error>
where
    T: Send + 'static,
    F: Clone + Send + Sync + 'static,
{
    let mut items = list.per_page(MAX_PER_PAGE).stream();
    while let Some(item) = items.try_next().await? {
        if matches(&item) {
            return Ok(Some(item));
        }
    }
    Ok(None)
}

/// The `per_page` query parameter to send, checked.
fn per_page_param(per_page: Option<u64>) -> Result<Option<NonZeroU64>, Error> {
    per_page
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

/// One page of a list.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
        requested: NonZeroU64,
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
                .map_or(number(requested), |p| p.current_page.get()),
            last_page: pagination.as_ref().map(|p| p.last_page.get()),
            total: pagination.as_ref().map(|p| p.total.get()),
        })
    }
}

/// Every item of every page, in order: `fetch(page)` for page 1, 2, … until the last or an
/// empty page.
fn items<T>(
    operation: &'static str,
    fetch: impl Fn(NonZeroU64) -> BoxFuture<'static, Result<Page<T>, Error>> + Send + 'static,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Send + 'static,
{
    struct State<G> {
        next: Option<NonZeroU64>,
        seen: BTreeSet<i64>,
        fetch: G,
    }
    let state = State {
        next: Some(NonZeroU64::MIN),
        seen: BTreeSet::new(),
        fetch,
    };
    stream::unfold(state, move |mut state| async move {
        let requested = state.next.take()?;
        let page = match (state.fetch)(requested).await {
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
fn number(page: NonZeroU64) -> i64 {
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
        assert_eq!(per_page_param(None).unwrap(), None);
        for ok in [1, 15, 100] {
            let param = per_page_param(Some(ok)).unwrap();
            assert_eq!(param.map(NonZeroU64::get), Some(ok));
        }
        for bad in [0, 101, u64::MAX] {
            let error = per_page_param(Some(bad));
            assert!(
                matches!(&error, Err(Error::InvalidRequest(m)) if m.starts_with("per_page ")),
                "{bad}: {error:?}"
            );
        }
    }

    fn list(served: Served) -> List<u32, Served> {
        let client = Client::builder()
            .credentials("key", "secret")
            .build()
            .unwrap();
        List::new::<cryptopocket_api::endpoints::ListPayments>(client, served, |_, served, at| {
            // The page size travels to the fetch function, checked.
            assert!(at.per_page.is_none_or(|n| n.get() <= MAX_PER_PAGE));
            serve(served, at.page)
        })
    }

    #[tokio::test]
    async fn the_builder_checks_its_input_and_walks_the_pages() {
        let served = pages(vec![(1, vec![1, 2]), (2, vec![3])], 2);
        let all = list(served.clone())
            .per_page(2)
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all, [1, 2, 3]);
        let second = list(served.clone()).page(2).await.unwrap();
        assert_eq!((second.items, second.page), (vec![3], 2));
        assert!(matches!(
            list(served.clone()).page(0).await,
            Err(Error::InvalidRequest(m)) if m.starts_with("page ")
        ));
        let refused: Vec<_> = list(served).per_page(101).stream().collect().await;
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(matches!(&refused[0], Err(Error::InvalidRequest(m)) if m.starts_with("per_page ")));
    }

    #[tokio::test]
    async fn walks_every_page_once_and_stops_at_the_last() {
        let fetch = pages(vec![(1, vec![1, 2]), (2, vec![3]), (3, vec![4, 5])], 3);
        let all: Vec<u32> = items("listPayments", move |p| serve(fetch.clone(), p))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all, [1, 2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn an_empty_page_ends_the_stream_even_if_last_page_says_more() {
        let fetch = pages(vec![(1, vec![1]), (2, vec![])], 9);
        let all: Vec<u32> = items("listPayments", move |p| serve(fetch.clone(), p))
            .try_collect()
            .await
            .unwrap();
        assert_eq!(all, [1]);
    }

    #[tokio::test]
    async fn a_repeated_page_is_an_error_not_a_loop() {
        // The server ignores `page` and serves page 1 every time.
        let fetch = pages(vec![(1, vec![1]), (1, vec![1]), (1, vec![1])], 3);
        let results: Vec<Result<u32, Error>> =
            items("listPayments", move |p| serve(fetch.clone(), p))
                .collect()
                .await;
        assert_eq!(results.len(), 2);
        assert!(matches!(
            results[1],
            Err(Error::RepeatedPage { page: 1, .. })
        ));
    }
}

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
//! A stream fetches ahead: while you consume page p, page p + 1 is already being requested,
//! in a tokio task of its own, so it progresses while your code awaits something else
//! between two items. [`List::fetch_ahead`] sets how many pages ahead (1 by default; 0
//! fetches a page only when its first item is asked for, one request at a time). Items
//! still come in order, and an error comes at its place: after every item of the pages
//! before it, and then the stream ends. Only pages the last page received says exist are
//! requested (up to its `last_page`), and dropping the stream aborts the requests in
//! flight. Outside a tokio runtime (where the crate's client cannot send anyway) the stream
//! falls back to one page at a time instead of panicking.
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

use std::{
    collections::{BTreeSet, VecDeque},
    fmt,
    num::NonZeroU64,
};

use cryptopocket_api::{Endpoint, types};
use futures::{Stream, StreamExt as _, TryStreamExt as _, future::BoxFuture, stream};
use tokio::task::JoinHandle;
use tracing::Instrument as _;

use crate::{Client, Error, envelope::Parts};

/// The largest page size the API serves (inferred: the spec says so, and the sandbox cuts
/// larger requests to it).
const MAX_PER_PAGE: u64 = 100;

/// How many pages a stream requests ahead of the one being consumed unless told otherwise:
/// one hides the latency of the next page behind the work done on this one, without
/// loading the API with requests for pages the consumer may never reach.
const DEFAULT_FETCH_AHEAD: usize = 1;

/// The most pages [`List::fetch_ahead`] keeps requested ahead of the one being consumed.
/// Without a cap of its own, "as far ahead as possible" (`usize::MAX`) would be bounded
/// only by the `last_page` the server announces: one task and one request per page, for
/// as many pages as a lying server claims (`i64::MAX`), until memory runs out. 32 pages
/// of 100 items hide far more latency than any consumer needs.
pub const MAX_FETCH_AHEAD: usize = 32;

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
    fetch_ahead: usize,
    pub(crate) filter: F,
    fetch: Fetch<T, F>,
}

impl<T, F: Clone> Clone for List<T, F> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            operation: self.operation,
            per_page: self.per_page,
            fetch_ahead: self.fetch_ahead,
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
            .field("fetch_ahead", &self.fetch_ahead)
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
            fetch_ahead: DEFAULT_FETCH_AHEAD,
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

    /// How many pages [`stream`](Self::stream) (and [`try_collect`](Self::try_collect))
    /// request ahead of the page being consumed: 1 by default, so page p + 1 is on its way
    /// while the items of page p are handled. 0 requests a page only when its first item is
    /// asked for, strictly one after another. Each page ahead is one more request in
    /// flight, in a tokio task of its own; none goes past the last page announced
    /// (`last_page`) by the latest page received, and dropping the stream aborts them all.
    /// Beyond 1, a page after an empty one (which ends the stream) may already have been
    /// requested; it is aborted too. Outside a tokio runtime the pages are fetched one at a
    /// time whatever the setting. More than [`MAX_FETCH_AHEAD`] (32) is taken as 32: the
    /// server's `last_page` is the only other bound, and it can say anything.
    pub fn fetch_ahead(mut self, pages: usize) -> Self {
        self.fetch_ahead = pages.min(MAX_FETCH_AHEAD);
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

    /// Every item of every page, in order. Page 1 is requested at the first poll; from
    /// then on the next pages are requested ahead (see [`fetch_ahead`](Self::fetch_ahead)).
    /// It stops after the last or an empty page; an error is the item after those of the
    /// pages before it, and the last; a page the server serves twice ends it with
    /// [`Error::RepeatedPage`]; input refused before sending is its only item. Dropping it
    /// aborts the requests in flight. It is `Unpin`, so
    /// `while let Some(item) = stream.try_next().await` works as is.
    pub fn stream(
        &self,
    ) -> impl Stream<Item = Result<T, Error>> + Send + Unpin + 'static + use<T, F> {
        let list = self.clone();
        items(self.operation, self.fetch_ahead, move |page| {
            list.fetch_page(page)
        })
        .boxed()
    }

    /// Every item of every page, in order (see [`stream`](Self::stream)), fetching ahead
    /// as the stream does. The future owns what it needs: it does not borrow the list.
    ///
    /// It holds every item at once, and only the server says how many there are: the walk
    /// stops at the last page, an empty page or a repeated page, so a server that keeps
    /// sending fresh pages makes it grow without bound. Where a list may be large or the
    /// server is not trusted, consume [`stream`](Self::stream) as it arrives instead
    /// (bounded by one page, plus those fetched ahead), with `StreamExt::take` for a cap.
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
    // A look-up stops at its match (its docs say so): no request for a page it may never
    // read, so one page at a time.
    let mut items = list.per_page(MAX_PER_PAGE).fetch_ahead(0).stream();
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
        Self::from_parts_pushing(requested, parts, |row, items| {
            items.push(convert(row)?);
            Ok(())
        })
    }

    /// As [`from_parts`](Self::from_parts), with `push` converting each row and pushing it
    /// onto the page's items itself ([`FromApi::push_from_api`](crate::convert::FromApi)),
    /// so a converted row is built where it is stored rather than returned and moved.
    pub(crate) fn from_parts_pushing<D>(
        requested: NonZeroU64,
        parts: Parts<Vec<D>>,
        mut push: impl FnMut(D, &mut Vec<T>) -> Result<(), Error>,
    ) -> Result<Self, Error> {
        let rows = parts.data.unwrap_or_default();
        // Collecting through `Result<Vec<_>>` hides the length (its adapter's size hint
        // starts at zero), so the Vec would grow and copy its rows ~log2(n) times. (Nor
        // does collecting in place help: measured, the standard library's in-place path
        // moves each row with a `memcpy` call, +87 instructions a row; +44 again with the
        // conversion inlined.)
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            push(row, &mut items)?;
        }
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
/// empty page, with up to `ahead` pages after the one being consumed already requested.
///
/// Page 1 is fetched inside the stream, at its first poll. Once page p has arrived and says
/// there is a next one, pages p + 1 ..= min(p + `ahead`, its `last_page`) are each spawned
/// as a tokio task (those not in flight yet), held in page order; the stream awaits the
/// task of the page it needs next, so items stay in order whatever order the answers come
/// in. When a page ends the stream (the last, an empty or a repeated one, an error), the
/// tasks ahead are dropped, which aborts them; so does dropping the stream.
fn items<T>(
    operation: &'static str,
    ahead: usize,
    fetch: impl Fn(NonZeroU64) -> BoxFuture<'static, Result<Page<T>, Error>> + Send + 'static,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Send + 'static,
{
    struct State<T, G> {
        /// The page the stream needs next; `None` once it has ended.
        next: Option<NonZeroU64>,
        /// The pages after the one last received, in order, from `next` on: requests in
        /// flight (or answered and waiting to be consumed).
        in_flight: VecDeque<Ahead<T>>,
        seen: BTreeSet<i64>,
        fetch: G,
    }
    let state = State {
        next: Some(NonZeroU64::MIN),
        in_flight: VecDeque::new(),
        seen: BTreeSet::new(),
        fetch,
    };
    stream::unfold(state, move |mut state| async move {
        let requested = state.next.take()?;
        let fetched = match state.in_flight.pop_front() {
            Some(ahead) => {
                debug_assert_eq!(ahead.page, requested, "pages ahead are held in order");
                ahead.join().await
            }
            None => None,
        };
        // Not fetched ahead (sequential, no runtime, page 1), or its task was cancelled
        // from outside (a runtime shutting down): fetch it here.
        let fetched = match fetched {
            Some(fetched) => fetched,
            None => (state.fetch)(requested).await,
        };
        let page = match fetched {
            Ok(page) => page,
            Err(error) => {
                // The stream ends with its error: abort the requests for later pages now
                // rather than when the consumer drops the stream.
                state.in_flight.clear();
                return Some((vec![Err(error)], state));
            }
        };
        if !state.seen.insert(page.page) || page.page != number(requested) {
            state.in_flight.clear();
            let error = Error::RepeatedPage {
                operation,
                page: page.page,
                requested: number(requested),
            };
            return Some((vec![Err(error)], state));
        }
        match (page.has_next(), page.last_page, requested.checked_add(1)) {
            (true, Some(last), Some(next)) => {
                state.next = Some(next);
                // As far ahead as asked, but not past the last page this page announces
                // (`has_next` rests on it, so it is known here), even when an earlier
                // page announced more: pages in flight beyond it are aborted.
                let furthest = requested
                    .get()
                    .saturating_add(u64::try_from(ahead).unwrap_or(u64::MAX))
                    .min(u64::try_from(last).unwrap_or(0));
                let window = furthest.saturating_sub(requested.get());
                state
                    .in_flight
                    .truncate(usize::try_from(window).unwrap_or(usize::MAX));
                // Outside a tokio runtime nothing can be spawned (nor sent by reqwest):
                // each page is then fetched when it is needed.
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    let in_flight = u64::try_from(state.in_flight.len()).unwrap_or(u64::MAX);
                    let first_new = requested.get().saturating_add(in_flight).saturating_add(1);
                    for page in (first_new..=furthest).filter_map(NonZeroU64::new) {
                        let fetching = (state.fetch)(page);
                        state
                            .in_flight
                            .push_back(Ahead::spawn(&runtime, page, fetching));
                    }
                }
            }
            _ => state.in_flight.clear(),
        }
        Some((page.items.into_iter().map(Ok).collect(), state))
    })
    .flat_map(stream::iter)
}

/// A page requested ahead, in a tokio task so that it progresses while the consumer is busy
/// elsewhere and does not poll the stream. Dropping it aborts the task, and with it the
/// request: reqwest closes the connection of an answer nobody waits for any more.
struct Ahead<T> {
    page: NonZeroU64,
    task: JoinHandle<Result<Page<T>, Error>>,
}

impl<T: Send + 'static> Ahead<T> {
    /// Runs `fetching` (page `page`) on `runtime`.
    fn spawn(
        runtime: &tokio::runtime::Handle,
        page: NonZeroU64,
        fetching: BoxFuture<'static, Result<Page<T>, Error>>,
    ) -> Self {
        // In the consumer's span, as it would be when fetched inside the stream.
        let task = runtime.spawn(fetching.in_current_span());
        Self { page, task }
    }

    /// The page's answer; `None` when the task was cancelled without answering (only a
    /// runtime shutting down does that: the stream aborts a task only by dropping it). A
    /// panic in the fetch goes on in the consumer, as it would without the task.
    async fn join(mut self) -> Option<Result<Page<T>, Error>> {
        match (&mut self.task).await {
            Ok(fetched) => Some(fetched),
            Err(error) => match error.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(_) => None,
            },
        }
    }
}

impl<T> Drop for Ahead<T> {
    fn drop(&mut self) {
        // A no-op for a finished task.
        self.task.abort();
    }
}

/// A page number as the pagination object reports it.
fn number(page: NonZeroU64) -> i64 {
    i64::try_from(page.get()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use std::{collections::HashMap, sync::Arc, time::Duration};

    use futures::{FutureExt as _, TryStreamExt as _};
    use tokio::sync::{Notify, mpsc};

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

    /// What happened, in the order it happened: the fetch function's doings and the
    /// consumer's.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Event {
        /// The fetch of this page began: its future was polled.
        Started(u64),
        /// The fetch of this page answered.
        Finished(u64),
        /// The fetch of this page was dropped before it answered.
        Cancelled(u64),
        /// The consumer received this item.
        Pulled(u32),
    }

    /// A fetch function that reports to `events` and holds some pages back.
    #[derive(Clone)]
    struct Script {
        /// Page n's items and the last page it claims, for n from 1; past them, an empty
        /// page that claims to be the last.
        pages: Arc<Vec<(Vec<u32>, i64)>>,
        /// The page answered with an error.
        failing: Option<u64>,
        /// Pages held until their `Notify` is notified (forever when nobody does).
        gates: Arc<HashMap<u64, Arc<Notify>>>,
        events: mpsc::UnboundedSender<Event>,
    }

    /// Reports `Cancelled` when the fetch it belongs to is dropped before answering.
    struct Guard {
        page: u64,
        answered: bool,
        events: mpsc::UnboundedSender<Event>,
    }

    impl Drop for Guard {
        fn drop(&mut self) {
            if !self.answered {
                let _ = self.events.send(Event::Cancelled(self.page));
            }
        }
    }

    impl Script {
        /// Pages of these items, each claiming the number of pages as the last, and the
        /// receiving end of the events.
        fn new(pages: &[&[u32]]) -> (Self, mpsc::UnboundedReceiver<Event>) {
            let last = i64::try_from(pages.len()).unwrap();
            let (events, received) = mpsc::unbounded_channel();
            let script = Self {
                pages: Arc::new(pages.iter().map(|items| (items.to_vec(), last)).collect()),
                failing: None,
                gates: Arc::default(),
                events,
            };
            (script, received)
        }

        fn gate(mut self, page: u64, gate: &Arc<Notify>) -> Self {
            Arc::make_mut(&mut self.gates).insert(page, Arc::clone(gate));
            self
        }

        fn fetch(&self, requested: NonZeroU64) -> BoxFuture<'static, Result<Page<u32>, Error>> {
            let page = requested.get();
            let index = usize::try_from(page - 1).unwrap();
            let (items, last_page) = self.pages.get(index).cloned().unwrap_or((vec![], 1));
            let failing = self.failing == Some(page);
            let gate = self.gates.get(&page).cloned();
            let events = self.events.clone();
            async move {
                let _ = events.send(Event::Started(page));
                let mut guard = Guard {
                    page,
                    answered: false,
                    events: events.clone(),
                };
                if let Some(gate) = gate {
                    gate.notified().await;
                }
                guard.answered = true;
                let _ = events.send(Event::Finished(page));
                if failing {
                    return Err(Error::InvalidRequest(format!("page {page} fails")));
                }
                Ok(Page {
                    items,
                    page: i64::try_from(page).unwrap(),
                    last_page: Some(last_page),
                    total: None,
                })
            }
            .boxed()
        }

        fn stream(&self, ahead: usize) -> impl Stream<Item = Result<u32, Error>> + Unpin {
            let script = self.clone();
            items("listPayments", ahead, move |page| script.fetch(page)).boxed()
        }
    }

    /// Receives events until `wanted`, failing after a generous time (a bound on a hang,
    /// not a measure); returns those received, `wanted` last.
    async fn wait_for(received: &mut mpsc::UnboundedReceiver<Event>, wanted: Event) -> Vec<Event> {
        let mut seen = vec![];
        let wait = async {
            while let Some(event) = received.recv().await {
                seen.push(event);
                if event == wanted {
                    return;
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .is_err()
        {
            panic!("no {wanted:?}, only {seen:?}");
        }
        seen
    }

    /// The events received so far.
    fn so_far(received: &mut mpsc::UnboundedReceiver<Event>) -> Vec<Event> {
        std::iter::from_fn(|| received.try_recv().ok()).collect()
    }

    /// Stands for the consumer's own async work between two items: it lets every other
    /// task of the (current-thread) runtime run, without polling the stream.
    async fn busy() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    /// Pulls every item, busy before each, reporting each as `Pulled`; the results.
    async fn pull_all(
        mut stream: impl Stream<Item = Result<u32, Error>> + Unpin,
        events: &mpsc::UnboundedSender<Event>,
    ) -> Vec<Result<u32, Error>> {
        let mut results = vec![];
        loop {
            busy().await;
            match stream.next().await {
                Some(Ok(item)) => {
                    let _ = events.send(Event::Pulled(item));
                    results.push(Ok(item));
                }
                Some(Err(error)) => results.push(Err(error)),
                None => return results,
            }
        }
    }

    fn position(events: &[Event], event: Event) -> usize {
        events
            .iter()
            .position(|e| *e == event)
            .unwrap_or_else(|| panic!("no {event:?} in {events:?}"))
    }

    fn started(events: &[Event]) -> Vec<u64> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Started(page) => Some(*page),
                _ => None,
            })
            .collect()
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
        for ahead in [0, 1, 5] {
            let all = list(served.clone())
                .per_page(2)
                .fetch_ahead(ahead)
                .try_collect()
                .await
                .unwrap();
            assert_eq!(all, [1, 2, 3], "fetching {ahead} ahead");
        }
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
        for ahead in [0, 1, 2, 10] {
            let fetch = pages(vec![(1, vec![1, 2]), (2, vec![3]), (3, vec![4, 5])], 3);
            let all: Vec<u32> = items("listPayments", ahead, move |p| serve(fetch.clone(), p))
                .try_collect()
                .await
                .unwrap();
            assert_eq!(all, [1, 2, 3, 4, 5], "fetching {ahead} ahead");
        }
    }

    #[tokio::test]
    async fn an_empty_page_ends_the_stream_even_if_last_page_says_more() {
        for ahead in [0, 1, 3] {
            let fetch = pages(vec![(1, vec![1]), (2, vec![]), (3, vec![7])], 9);
            let all: Vec<u32> = items("listPayments", ahead, move |p| serve(fetch.clone(), p))
                .try_collect()
                .await
                .unwrap();
            assert_eq!(all, [1], "fetching {ahead} ahead");
        }
    }

    #[tokio::test]
    async fn a_repeated_page_is_an_error_not_a_loop() {
        for ahead in [0, 1, 3] {
            // The server ignores `page` and serves page 1 every time.
            let fetch = pages(vec![(1, vec![1]), (1, vec![1]), (1, vec![1])], 3);
            let results: Vec<Result<u32, Error>> =
                items("listPayments", ahead, move |p| serve(fetch.clone(), p))
                    .collect()
                    .await;
            assert_eq!(results.len(), 2, "fetching {ahead} ahead: {results:?}");
            assert!(matches!(
                results[1],
                Err(Error::RepeatedPage { page: 1, .. })
            ));
        }
    }

    #[tokio::test]
    async fn by_default_the_next_page_is_fetched_while_the_consumer_is_busy() {
        let (script, mut received) = Script::new(&[&[1, 2], &[3, 4], &[5]]);
        let mut stream = script.stream(DEFAULT_FETCH_AHEAD);

        assert_eq!(stream.try_next().await.unwrap(), Some(1));
        script.events.send(Event::Pulled(1)).unwrap();
        // The consumer does not poll the stream now, yet page 2 is fetched and answered.
        let seen = wait_for(&mut received, Event::Finished(2)).await;

        let rest = pull_all(stream, &script.events).await;
        let rest: Vec<u32> = rest.into_iter().map(Result::unwrap).collect();
        assert_eq!(rest, [2, 3, 4, 5]);
        let events = [seen, so_far(&mut received)].concat();
        assert_eq!(started(&events), [1, 2, 3], "{events:?}");
        // One page ahead, not two: page 3 only once the consumer has reached page 2.
        assert!(
            position(&events, Event::Pulled(2)) < position(&events, Event::Started(3)),
            "{events:?}"
        );
    }

    #[tokio::test]
    async fn fetching_zero_ahead_fetches_a_page_only_when_its_first_item_is_asked_for() {
        let (script, mut received) = Script::new(&[&[1, 2], &[3, 4], &[5]]);
        let results = pull_all(script.stream(0), &script.events).await;
        assert_eq!(results.len(), 5, "{results:?}");
        use Event::{Finished as F, Pulled as P, Started as S};
        assert_eq!(
            so_far(&mut received),
            [
                S(1),
                F(1),
                P(1),
                P(2),
                S(2),
                F(2),
                P(3),
                P(4),
                S(3),
                F(3),
                P(5)
            ]
        );
    }

    #[tokio::test]
    async fn items_come_in_page_order_when_a_later_page_answers_first() {
        let held = Arc::new(Notify::new());
        let (script, mut received) = Script::new(&[&[1], &[2], &[3], &[4]]);
        let script = script.gate(2, &held);
        let mut stream = script.stream(2);

        assert_eq!(stream.try_next().await.unwrap(), Some(1));
        // Pages 2 and 3 are both in flight; page 3 answers while page 2 is held.
        let seen = wait_for(&mut received, Event::Finished(3)).await;
        assert!(!seen.contains(&Event::Finished(2)), "{seen:?}");
        held.notify_one();

        let rest: Vec<u32> = stream.try_collect().await.unwrap();
        assert_eq!(rest, [2, 3, 4]);
    }

    #[tokio::test]
    async fn an_error_comes_after_the_items_of_the_pages_before_it_and_ends_the_stream() {
        for ahead in [0, 1, 2, 5] {
            let (mut script, _received) = Script::new(&[&[1, 2], &[3], &[9], &[10]]);
            script.failing = Some(3);
            let results = pull_all(script.stream(ahead), &script.events).await;
            assert_eq!(results.len(), 4, "fetching {ahead} ahead: {results:?}");
            let items: Vec<u32> = results[..3].iter().map(|r| *r.as_ref().unwrap()).collect();
            assert_eq!(items, [1, 2, 3], "fetching {ahead} ahead");
            assert!(
                matches!(&results[3], Err(Error::InvalidRequest(m)) if m == "page 3 fails"),
                "fetching {ahead} ahead: {results:?}"
            );
        }
    }

    #[tokio::test]
    async fn dropping_the_stream_cancels_the_fetch_in_flight() {
        let never = Arc::new(Notify::new());
        let (script, mut received) = Script::new(&[&[1, 2], &[3]]);
        let script = script.gate(2, &never);
        let mut stream = script.stream(DEFAULT_FETCH_AHEAD);

        assert_eq!(stream.try_next().await.unwrap(), Some(1));
        wait_for(&mut received, Event::Started(2)).await;
        drop(stream);
        wait_for(&mut received, Event::Cancelled(2)).await;
    }

    #[tokio::test]
    async fn nothing_is_fetched_past_the_last_page() {
        let (script, mut received) = Script::new(&[&[1, 2], &[3], &[4]]);
        let results = pull_all(script.stream(5), &script.events).await;
        assert_eq!(results.len(), 4, "{results:?}");
        busy().await;
        assert_eq!(started(&so_far(&mut received)), [1, 2, 3]);
    }

    #[tokio::test]
    async fn a_smaller_last_page_cancels_the_pages_ahead_beyond_it() {
        let (page_3, never) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let (mut script, mut received) = Script::new(&[&[1], &[2, 3], &[4]]);
        // Page 1 claims 4 pages; the others say 3.
        Arc::make_mut(&mut script.pages)[0].1 = 4;
        let script = script.gate(3, &page_3).gate(4, &never);
        let mut stream = script.stream(3);

        assert_eq!(stream.try_next().await.unwrap(), Some(1));
        wait_for(&mut received, Event::Started(4)).await;
        assert_eq!(stream.try_next().await.unwrap(), Some(2));
        // Page 4 is aborted once page 2 is in, while its items are being consumed.
        let seen = wait_for(&mut received, Event::Cancelled(4)).await;
        assert!(!seen.contains(&Event::Cancelled(3)), "{seen:?}");
        page_3.notify_one();
        let rest: Vec<u32> = stream.try_collect().await.unwrap();
        assert_eq!(rest, [3, 4]);
    }

    #[tokio::test]
    async fn a_page_that_ends_the_stream_cancels_the_pages_ahead() {
        let never = Arc::new(Notify::new());
        let (mut script, mut received) = Script::new(&[&[1], &[], &[3], &[4]]);
        // Page 1 claims 9 pages; page 2 is empty.
        Arc::make_mut(&mut script.pages)[0].1 = 9;
        let script = script.gate(3, &never).gate(4, &never);
        let mut stream = script.stream(3);

        assert_eq!(stream.try_next().await.unwrap(), Some(1));
        wait_for(&mut received, Event::Started(4)).await;
        assert_eq!(stream.try_next().await.unwrap(), None);
        // Aborted when the stream ended, not when it is dropped.
        let seen = wait_for(&mut received, Event::Cancelled(4)).await;
        let seen = [seen, so_far(&mut received)].concat();
        assert!(seen.contains(&Event::Cancelled(3)), "{seen:?}");
        drop(stream);
    }

    #[tokio::test]
    async fn a_panic_in_a_page_fetched_ahead_reaches_the_consumer() {
        let panicked = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let fetch = pages(vec![(1, vec![1]), (2, vec![2])], 2);
        let once = Arc::clone(&panicked);
        let stream = items("listPayments", 1, move |page| {
            // Only the first fetch of page 2 panics: the panic must not be swallowed and
            // the page fetched again.
            if page.get() == 2 && !once.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return async { panic!("page 2 broke") }.boxed();
            }
            serve(fetch.clone(), page)
        });
        let consumer = tokio::spawn(stream.try_collect::<Vec<u32>>());
        let error = consumer.await.expect_err("the consumer panics");
        let panic = error.into_panic();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"page 2 broke"));
    }

    #[test]
    fn without_a_tokio_runtime_the_stream_fetches_one_page_at_a_time() {
        // `Handle::try_current` fails here: nothing is spawned, nothing panics, and every
        // page (all ready at once) is fetched when needed.
        assert!(tokio::runtime::Handle::try_current().is_err());
        let served = pages(vec![(1, vec![1, 2]), (2, vec![3]), (3, vec![4])], 3);
        let all = list(served).fetch_ahead(2).try_collect().now_or_never();
        assert_eq!(all.map(Result::unwrap), Some(vec![1, 2, 3, 4]));
    }
}

//! What is holding memory, and is it growing: a service whose cache never evicts.
//!
//! Each request renders a 4 KiB page, and the cache keeps a copy; the keys never repeat, so the
//! cache only grows. profkit tags every block with the call path that allocated it, so the
//! memory table (sorted by live bytes) shows that `Cache::insert` holds the heap, although
//! `render` allocated as much (its pages are freed once sent); snapshots of the live heap, one
//! per simulated 10 s of service, show it rising at a steady rate. The fixed cache (it keeps
//! the last 128 pages) allocates as much, but holds a level: no growth is listed.
//!
//! Run: `cargo run --release --example leak`. In a real service, `PROFKIT_OUT=profile.json
//! PROFKIT_SNAPSHOT_EVERY=10s` does the same on a timer, and `profkit view profile.json
//! --growth` reads it back.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

mod service {
    use std::collections::{HashMap, VecDeque};

    /// A page cache, bounded or not.
    pub struct Cache {
        pub pages: HashMap<u64, Box<[u8]>>,
        pub order: VecDeque<u64>,
        pub capacity: Option<usize>,
    }

    #[profkit::profile]
    impl Cache {
        /// Keeps a copy of `page` (and evicts the oldest, when bounded).
        pub fn insert(&mut self, key: u64, page: &[u8]) {
            if let Some(cap) = self.capacity
                && self.order.len() == cap
                && let Some(old) = self.order.pop_front()
            {
                self.pages.remove(&old);
            }
            self.order.push_back(key);
            self.pages.insert(key, Box::from(page));
        }
    }

    /// Renders a page: 4 KiB, plus a scratch buffer freed on return.
    #[profkit::profile]
    pub fn render(id: u64) -> Vec<u8> {
        let scratch = format!("request {id}").repeat(64);
        let mut page = vec![0u8; 4096];
        page[..8].copy_from_slice(&id.to_le_bytes());
        page[8] = scratch.len() as u8;
        page
    }

    #[profkit::profile]
    pub fn handle(cache: &mut Cache, id: u64) -> usize {
        if let Some(page) = cache.pages.get(&id) {
            return page.len();
        }
        let page = render(id);
        cache.insert(id, &page);
        page.len() // the page is sent, and freed
    }
}

/// Serves 200 new requests per tick for `ticks` ticks of 10 s (simulated), taking a snapshot
/// of the live heap after each.
fn serve(cache: &mut service::Cache, ticks: u64) {
    profkit::snapshot_at(Duration::ZERO);
    let mut id = 0;
    for tick in 1..=ticks {
        for _ in 0..200 {
            id += 1;
            std::hint::black_box(service::handle(cache, id));
        }
        profkit::snapshot_at(Duration::from_secs(10 * tick));
    }
}

/// A cache; a bounded one is sized up front (its table at twice the pages it keeps, so that
/// evictions never make it resize).
fn cache(capacity: Option<usize>) -> service::Cache {
    service::Cache {
        pages: HashMap::with_capacity(capacity.map_or(0, |c| 2 * c)),
        order: VecDeque::with_capacity(capacity.unwrap_or(0)),
        capacity,
    }
}

fn main() {
    println!("== The fixed cache (keeps the last 128 pages)\n");
    let mut fixed = cache(Some(128));
    serve(&mut fixed, 12);
    print!("{}", profkit::report().growth());
    drop(fixed);

    // The leaky run starts a new series (and is what the exit report, with PROFKIT_OUT, has).
    profkit::reset();
    println!("\n== A cache that never evicts\n");
    let mut leaky = cache(None);
    serve(&mut leaky, 12);
    let report = profkit::report();
    print!("{}", report.memory().limit(4));
    println!();
    print!("{}", report.growth());
    let insert = report.function("Cache::insert").unwrap();
    let held = insert.memory().unwrap();
    println!(
        "\n{} holds {} bytes in {} blocks",
        insert.name(),
        held.live_bytes(),
        held.live_allocs()
    );
    // Kept to the end, as a leaking service would.
    std::mem::forget(leaky);
}

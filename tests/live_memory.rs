//! Live blocks by the call path that allocated them: a free, on whichever thread and under
//! whichever path it happens, is credited back to the allocating path. Each test reads its own
//! `record()` window, so they may run at once.

use std::hint::black_box;

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

fn mem(report: &profkit::Report, name: &str) -> profkit::MemoryStats {
    *report
        .function(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .memory()
        .unwrap()
}

fn live(m: &profkit::MemoryStats) -> (i64, i64) {
    (m.live_allocs(), m.live_bytes())
}

mod cache {
    pub type Cache = Vec<Box<[u8]>>;

    #[profkit::profile]
    pub fn insert(cache: &mut Cache, i: u8) {
        cache.push(vec![i; 100].into_boxed_slice());
    }

    #[profkit::profile]
    pub fn evict(cache: &mut Cache) {
        cache.pop();
    }
}

#[test]
fn a_cache_filled_and_never_emptied_is_held_by_its_insert_path() {
    let mut cache: cache::Cache = Vec::with_capacity(64);
    let (_, report) = profkit::record(|| {
        for i in 0..10 {
            cache::insert(&mut cache, i);
        }
    });
    let insert = mem(&report, "insert");
    assert_eq!(live(&insert), (10, 1000));
    assert_eq!((insert.allocs(), insert.frees()), (10, 0));
    assert_eq!(live(&report.memory_outside().unwrap()), (0, 0));

    // Evicting credits the blocks back to `insert`, not to `evict`.
    let (_, report) = profkit::record(|| {
        for _ in 0..4 {
            cache::evict(&mut cache);
        }
    });
    let evict = mem(&report, "evict");
    assert_eq!((evict.frees(), evict.freed_bytes()), (4, 400));
    assert_eq!(live(&evict), (0, 0), "evict holds nothing");
    assert_eq!(
        live(&mem(&report, "insert")),
        (-4, -400),
        "in this window insert's blocks went down by four"
    );
    // The process report has the level: six blocks still held by insert.
    let whole = profkit::report();
    let held = whole.function("insert").unwrap().memory().unwrap();
    assert!(held.live_allocs() >= 6, "{held:?}");
    drop(cache);
}

#[profkit::profile]
fn make(n: usize) -> Vec<u8> {
    vec![7; n]
}

#[profkit::profile]
fn consume(v: Vec<u8>) -> usize {
    v.len()
}

#[test]
fn a_block_freed_on_another_thread_is_credited_to_its_allocating_path() {
    let (_, report) = profkit::record(|| {
        let kept = make(30);
        let v = make(50);
        // A recording thread frees it under a profiled call ...
        let n = std::thread::spawn(move || consume(v)).join().unwrap();
        assert_eq!(n, 50);
        // ... and a thread that never records frees another.
        let w = make(70);
        std::thread::spawn(move || drop(black_box(w)))
            .join()
            .unwrap();
        kept
    });
    let make = mem(&report, "make");
    assert_eq!((make.allocs(), make.bytes()), (3, 150));
    assert_eq!(make.frees(), 0, "no block was freed on this thread");
    assert_eq!(live(&make), (1, 30), "only the kept block is live");
}

#[profkit::profile]
fn start() -> Vec<u8> {
    Vec::with_capacity(10)
}

#[profkit::profile]
fn grow(v: &mut Vec<u8>) {
    v.reserve_exact(100);
}

#[profkit::profile]
fn shrink(v: &mut Vec<u8>) {
    v.shrink_to(40);
}

#[test]
fn a_resized_block_stays_with_the_path_that_allocated_it() {
    let (v, report) = profkit::record(|| {
        let mut v = start();
        grow(&mut v);
        assert_eq!(v.capacity(), 100);
        shrink(&mut v);
        assert_eq!(v.capacity(), 40);
        v
    });
    assert_eq!(live(&mem(&report, "start")), (1, 40));
    let grow = mem(&report, "grow");
    assert_eq!(live(&grow), (0, 0));
    // The counts of a realloc stay dhat's: a free of the old size, an allocation of the new.
    assert_eq!(
        (grow.allocs(), grow.bytes(), grow.freed_bytes()),
        (1, 100, 10)
    );
    assert_eq!(live(&mem(&report, "shrink")), (0, 0));
    drop(v);
}

#[profkit::profile]
fn nest(depth: u32, out: &mut Vec<Vec<u8>>) {
    out.push(vec![1; 10]);
    let scratch = vec![2u8; 1000];
    black_box(&scratch);
    if depth > 1 {
        nest(depth - 1, out);
    }
}

#[profkit::profile]
fn outer_nest() -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(8);
    nest(5, &mut out);
    out
}

#[test]
fn recursion_counts_live_blocks_once_per_outermost_call() {
    let (kept, report) = profkit::record(outer_nest);
    let nest = mem(&report, "nest");
    assert_eq!(
        live(&nest),
        (5, 50),
        "own: the five kept blocks, scratch freed"
    );
    assert_eq!((nest.cum_live_allocs(), nest.cum_live_bytes()), (5, 50));
    let outer = mem(&report, "outer_nest");
    // Its own Vec of 8 pointers (192 bytes) and the five blocks under it.
    assert_eq!(live(&outer), (1, 192));
    assert_eq!((outer.cum_live_allocs(), outer.cum_live_bytes()), (6, 242));
    drop(kept);
}

#[test]
fn over_aligned_and_zeroed_blocks_behave_as_the_inner_allocator_does() {
    use std::alloc::{GlobalAlloc, Layout};
    let wrapper = profkit::Alloc::system();
    for (size, align) in [(1, 1), (3, 2), (24, 8), (48, 16), (64, 32), (100, 4096)] {
        let layout = Layout::from_size_align(size, align).unwrap();
        // SAFETY: a non-zero size; each block is freed once by the allocator that made it,
        // with its layout; it is written only within its size.
        unsafe {
            let p = wrapper.alloc_zeroed(layout);
            assert!(!p.is_null());
            assert_eq!(p as usize % align, 0, "{layout:?}");
            assert!(std::slice::from_raw_parts(p, size).iter().all(|&b| b == 0));
            p.write_bytes(0xAB, size);
            let q = wrapper.realloc(p, layout, size * 3);
            assert!(!q.is_null());
            assert_eq!(q as usize % align, 0);
            assert!(
                std::slice::from_raw_parts(q, size)
                    .iter()
                    .all(|&b| b == 0xAB)
            );
            wrapper.dealloc(q, Layout::from_size_align(size * 3, align).unwrap());
        }
    }
    // A block resized to a size that leaves no room for a header moves to a block without one
    // (here the inner allocator refuses it: null, the old block intact).
    let small = Layout::from_size_align(16, 1).unwrap();
    // SAFETY: a non-zero size; the block is freed once, with its layout, after the failed
    // realloc left it in place; `isize::MAX - 20` with alignment 1 is a layout.
    unsafe {
        let p = wrapper.alloc(small);
        assert!(!p.is_null());
        p.write_bytes(7, 16);
        assert!(
            wrapper
                .realloc(p, small, isize::MAX as usize - 20)
                .is_null()
        );
        assert_eq!(*p.add(15), 7);
        wrapper.dealloc(p, small);
    }
    // An allocation the inner allocator refuses is refused the same way.
    let huge = Layout::from_size_align(isize::MAX as usize - 64, 8).unwrap();
    // SAFETY: a non-zero size; a null result is not used.
    let p = unsafe { wrapper.alloc(huge) };
    assert!(p.is_null());
}

mod app {
    pub mod cache {
        #[profkit::profile]
        pub fn insert(cache: &mut Vec<Vec<u8>>) {
            cache.push(vec![0; 1024]);
        }
    }

    #[profkit::profile]
    pub fn handle(cache: &mut Vec<Vec<u8>>, keep: bool) -> usize {
        let scratch = std::hint::black_box(vec![1u8; 64]);
        if keep {
            cache::insert(cache);
        }
        scratch.len()
    }
}

fn failure(f: impl FnOnce()) -> String {
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .expect_err("the assertion should fail");
    err.downcast_ref::<String>().cloned().unwrap()
}

#[test]
fn a_leak_check_names_the_path_that_holds_the_memory() {
    let mut cache = Vec::with_capacity(1000);
    let (_, report) = profkit::record(|| {
        for _ in 0..1000 {
            app::handle(&mut cache, true);
        }
    });
    let message = failure(|| {
        report.expect("app::handle").retains_at_most(0);
    });
    let headline = message.lines().next().unwrap();
    assert_eq!(
        headline,
        "profkit: `live_memory::app::handle` retains 1024000 bytes in 1000 blocks (at most 0 \
         expected); 1024000 of them allocated under live_memory::app::cache::insert"
    );
    report.expect("app::handle").retains_at_most(1_024_000);

    // The fixed version keeps nothing.
    cache.clear();
    let (_, report) = profkit::record(|| {
        for _ in 0..1000 {
            app::handle(&mut cache, false);
        }
    });
    report.expect("app::handle").retains_at_most(0);
}

#[test]
fn live_figures_survive_the_json_file() {
    let (kept, report) = profkit::record(|| (make(40), outer_nest()));
    let back = profkit::Report::from_json_bytes(report.to_json().as_bytes()).unwrap();
    assert_eq!(live(&mem(&back, "make")), (1, 40));
    assert_eq!(mem(&back, "nest"), mem(&report, "nest"));
    assert_eq!(back.memory_outside(), report.memory_outside());
    // A version-2 file (no live figures) still reads, with none.
    let v2 = report
        .to_json()
        .replacen("\"version\":3", "\"version\":2", 1);
    let v2: String = strip_live(&v2);
    let old = profkit::Report::from_json_bytes(v2.as_bytes()).unwrap();
    assert_eq!(live(&mem(&old, "make")), (0, 0));
    assert_eq!(mem(&old, "make").allocs(), 1);
    drop(kept);
}

/// The JSON without the version-3 live fields.
fn strip_live(json: &str) -> String {
    let mut out = json.to_owned();
    for key in ["\"live_allocs\":", "\"live_bytes\":"] {
        while let Some(at) = out.find(key) {
            let end = out[at..].find([',', '}']).map(|e| at + e).unwrap();
            // Drop the field and the comma before it.
            let start = if out[..at].ends_with(',') { at - 1 } else { at };
            out.replace_range(start..end, "");
        }
    }
    while let Some(at) = out.find(",\"live\":[") {
        let end = out[at..].find("]]").map(|e| at + e + 2).unwrap();
        out.replace_range(at..end, "");
    }
    out
}

#[profkit::profile]
fn churn() -> usize {
    (0..20).map(|i| vec![0u8; 1000 + i].len()).sum()
}

#[test]
fn the_memory_table_puts_what_holds_the_heap_first() {
    let mut cache: cache::Cache = Vec::with_capacity(8);
    let (_, report) = profkit::record(|| {
        churn(); // allocates 20 KB, keeps nothing
        for i in 0..3 {
            cache::insert(&mut cache, i);
        }
    });
    let table = report.memory();
    assert_eq!(table.sort_key(), profkit::SortKey::LiveBytes);
    let rows: Vec<&str> = table.rows().iter().map(|f| f.name()).collect();
    assert_eq!(rows[0], "live_memory::cache::insert", "{rows:?}");
    let text = table.to_string();
    assert!(text.contains("Ordered by: live bytes"), "{text}");
    let header = text.lines().find(|l| l.ends_with("function")).unwrap();
    let cols: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(&cols[..4], ["allocs", "bytes", "live", "livebytes"]);
    let insert = text.lines().find(|l| l.ends_with("cache::insert")).unwrap();
    let cols: Vec<&str> = insert.split_whitespace().collect();
    assert_eq!(&cols[..5], ["3", "300", "B", "3", "300"], "{insert}");
    drop(cache);
}

//! Memory beside time: exact allocation counts and bytes per call path through
//! `profkit::Alloc`, own and cumulative, under recursion, on several threads, in async code
//! that moves between tokio workers; the rows add up to the allocator's own totals.

use std::hint::black_box;

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

#[profkit::profile]
fn one_vec() -> Vec<u64> {
    Vec::with_capacity(1000)
}

#[profkit::profile]
fn keeps_and_frees() -> usize {
    let kept = one_vec(); // 8,000 bytes, allocated in the callee
    let temp: Vec<u8> = Vec::with_capacity(100); // freed here
    drop(temp);
    kept.capacity()
}

#[test]
fn a_vec_with_capacity_1000_of_u64_is_one_allocation_of_8000_bytes() {
    let (v, report) = profkit::record(one_vec);
    assert_eq!(v.capacity(), 1000);
    let m = report.function("one_vec").unwrap().memory().unwrap();
    assert_eq!((m.allocs(), m.bytes()), (1, 8_000));
    assert_eq!((m.cum_allocs(), m.cum_bytes()), (1, 8_000));
    assert_eq!((m.frees(), m.freed_bytes()), (0, 0));
    assert_eq!(m.retained_bytes(), 8_000);
    assert_eq!(m.peak_bytes(), 8_000);
    drop(v);
}

#[test]
fn own_and_cumulative_figures_follow_the_call_tree() {
    let (_, report) = profkit::record(keeps_and_frees);
    let outer = report
        .function("keeps_and_frees")
        .unwrap()
        .memory()
        .unwrap();
    // Own: the 100-byte temp, allocated and freed; and the kept Vec dropped at its end.
    assert_eq!((outer.allocs(), outer.bytes()), (1, 100));
    assert_eq!((outer.frees(), outer.freed_bytes()), (2, 8_100));
    assert_eq!((outer.cum_allocs(), outer.cum_bytes()), (2, 8_100));
    assert_eq!(outer.cum_retained_bytes(), 0);
    assert_eq!(
        outer.retained_bytes(),
        -8_000,
        "it freed what its callee made"
    );
    // The peak of the call: 8,000 kept plus 100 temporary, above its start.
    assert_eq!(outer.peak_bytes(), 8_100);
    let inner = report.function("one_vec").unwrap().memory().unwrap();
    assert_eq!(
        (inner.allocs(), inner.bytes(), inner.frees()),
        (1, 8_000, 0)
    );
}

#[profkit::profile]
fn nest(depth: u32) -> Vec<u8> {
    let mine = vec![0u8; 10];
    if depth > 0 {
        let below = nest(depth - 1);
        black_box(&below);
    }
    mine
}

#[test]
fn recursion_counts_cumulative_figures_once() {
    let (_, report) = profkit::record(|| nest(4));
    let f = report.function("nest").unwrap();
    assert_eq!((f.ncalls(), f.primitive_calls()), (5, 1));
    let m = f.memory().unwrap();
    // Five calls, each allocating 10 bytes; four of the blocks are freed inside (by the
    // caller, after the callee returned them), the outermost one is returned.
    assert_eq!((m.allocs(), m.bytes()), (5, 50));
    assert_eq!((m.frees(), m.freed_bytes()), (4, 40));
    // Cumulative, like cumtime: the outermost call's subtree, once.
    assert_eq!((m.cum_allocs(), m.cum_bytes()), (5, 50));
    assert_eq!(m.peak_bytes(), 50, "five blocks alive at the deepest point");
}

#[test]
fn the_rows_add_up_to_the_allocators_totals() {
    let (_, report) = profkit::record(|| {
        let _ = keeps_and_frees();
        let outside: Vec<u16> = Vec::with_capacity(7); // no profiled call open
        drop(outside);
        nest(3)
    });
    let heap = report.heap().unwrap();
    let mut allocs = 0;
    let mut bytes = 0;
    let mut frees = 0;
    for f in report.functions() {
        let m = f.memory().unwrap();
        allocs += m.allocs();
        bytes += m.bytes();
        frees += m.frees();
    }
    let outside = report.memory_outside().unwrap();
    let overhead = report.memory_overhead().unwrap();
    assert_eq!(outside.allocs(), 1);
    assert_eq!(outside.bytes(), 14);
    assert_eq!(
        allocs + outside.allocs() + overhead.allocs(),
        heap.total_allocs()
    );
    assert_eq!(
        bytes + outside.bytes() + overhead.bytes(),
        heap.total_bytes()
    );
    assert_eq!(
        frees + outside.frees() + overhead.frees(),
        heap.total_frees()
    );
}

#[test]
fn profkit_heap_counts_each_allocation_once() {
    // Other tests run on other threads; count only this one's by recording around it.
    let (_, report) = profkit::record(|| {
        let block = black_box(Vec::<u64>::with_capacity(1000));
        drop(block);
    });
    let outside = report.memory_outside().unwrap();
    assert_eq!((outside.allocs(), outside.bytes()), (1, 8_000));
    assert_eq!((outside.frees(), outside.freed_bytes()), (1, 8_000));
    let h = profkit::heap();
    assert!(h.total_allocs() >= 1 && h.total_bytes() >= 8_000);
    assert!(h.peak() >= h.current());
}

#[test]
fn folded_stacks_and_flame_graphs_by_bytes_show_where_the_memory_went() {
    let (_, report) = profkit::record(keeps_and_frees);
    let folded = report.folded_by(profkit::StackMetric::Bytes).unwrap();
    assert_eq!(
        folded,
        "memory::keeps_and_frees 100\nmemory::keeps_and_frees;memory::one_vec 8000\n"
    );
    let allocs = report.folded_by(profkit::StackMetric::Allocs).unwrap();
    assert!(
        allocs.ends_with("memory::keeps_and_frees;memory::one_vec 1\n"),
        "{allocs}"
    );
    let total: u64 = folded
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    let rows: u64 = report
        .functions()
        .map(|f| f.memory().unwrap().bytes())
        .sum();
    assert_eq!(total, rows, "the stacks add up to the functions' own bytes");
    let svg = report
        .flamegraph_svg_by(profkit::StackMetric::Bytes)
        .unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert!(svg.contains("bytes allocated") && svg.contains("one_vec"));
}

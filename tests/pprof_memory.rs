//! pprof files with memory figures, read by the real `go tool pprof`: each function's own
//! allocations and bytes as `alloc_objects` and `alloc_space`, and the samples outside
//! profiled calls and of profkit's bookkeeping, so that the total is the allocator's.

use profkit::profile;

mod common;
use common::pprof::{go, pprof, top};

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

#[profile]
fn load() -> Vec<u64> {
    Vec::with_capacity(1000) // one allocation of 8,000 bytes
}

trait Render {
    fn render(&self) -> String;
}

struct Row;

#[profile]
impl Render for Row {
    fn render(&self) -> String {
        "row".repeat(10)
    }
}

#[profile]
fn handle() -> usize {
    let rows = load();
    let _ = Row.render();
    let names: Vec<String> = (0..3).map(|i| format!("row {i}")).collect();
    rows.capacity() + names.len()
}

#[test]
fn go_tool_pprof_lists_each_functions_allocations_and_bytes() {
    let (_, report) = profkit::record(|| {
        handle();
        let _outside: Vec<u8> = Vec::with_capacity(100);
    });
    let dir = std::env::temp_dir().join(format!("profkit-pprof-mem-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("memory.pb.gz");
    report.write(&file).unwrap();
    let Some(go) = go() else { return };
    let all = ["-nodefraction=0", "-edgefraction=0", "-nodecount=100000"];

    let mut args = vec!["-top", "-sample_index=alloc_space", "-unit=B"];
    args.extend(all);
    let (rows, total) = top(&pprof(go, &args, &file), "B");
    let load = report.function("load").unwrap().memory().unwrap();
    assert_eq!(rows["pprof_memory::load"].0, load.bytes());
    assert_eq!(load.bytes(), 8_000);
    let handle = report.function("handle").unwrap().memory().unwrap();
    assert_eq!(
        rows["pprof_memory::handle"],
        (handle.bytes(), handle.cum_bytes())
    );
    assert_eq!(rows["(outside profiled calls)"].0, 100);
    // Trait methods keep their whole name (pprof would cut `<..>` out of a name it thinks
    // is an undemangled C++ symbol).
    let render = report.function("Render>::render").unwrap();
    assert_eq!(
        render.name(),
        "<pprof_memory::Row as pprof_memory::Render>::render"
    );
    assert_eq!(rows[render.name()].0, render.memory().unwrap().bytes());
    assert_eq!(total, report.heap().unwrap().total_bytes());

    let mut args = vec!["-top", "-sample_index=alloc_objects"];
    args.extend(all);
    let (rows, total) = top(&pprof(go, &args, &file), "");
    assert_eq!(rows["pprof_memory::handle"].1, handle.cum_allocs());
    assert_eq!(total, report.heap().unwrap().total_allocs());
    std::fs::remove_dir_all(&dir).unwrap();
}

//! Live blocks in pprof files, read by the real `go tool pprof`: `inuse_objects` and
//! `inuse_space` per path, and `-base old.pb.gz new.pb.gz` showing what grew between two
//! reports of one process, as with Go's heap profiles.

mod common;
use common::pprof::{go, pprof, top};

#[global_allocator]
static ALLOC: profkit::Alloc = profkit::Alloc::system();

#[profkit::profile]
fn cache_insert(cache: &mut Vec<Vec<u8>>) {
    cache.push(vec![0; 1000]);
}

#[profkit::profile]
fn serve(cache: &mut Vec<Vec<u8>>, n: usize) {
    for _ in 0..n {
        let scratch = vec![1u8; 4096]; // freed: never in use
        std::hint::black_box(&scratch);
        cache_insert(cache);
    }
}

#[test]
fn go_tool_pprof_shows_inuse_space_and_its_growth_against_a_base() {
    let mut cache = Vec::with_capacity(100);
    serve(&mut cache, 10);
    let old = profkit::report();
    serve(&mut cache, 25);
    let new = profkit::report();
    let insert = new.function("cache_insert").unwrap().memory().unwrap();
    assert_eq!((insert.live_allocs(), insert.live_bytes()), (35, 35_000));

    let dir = std::env::temp_dir().join(format!("profkit-pprof-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (old_file, new_file) = (dir.join("old.pb.gz"), dir.join("new.pb.gz"));
    old.write(&old_file).unwrap();
    new.write(&new_file).unwrap();
    let Some(go) = go() else { return };
    let focus = [
        "-focus=cache_insert",
        "-nodefraction=0",
        "-edgefraction=0",
        "-unit=B",
    ];

    let mut args = vec!["-top", "-sample_index=inuse_space"];
    args.extend(focus);
    let (rows, _) = top(&pprof(go, &args, &new_file), "B");
    assert_eq!(rows["pprof_live::cache_insert"].0, 35_000);
    // serve's scratch buffers were freed: it holds nothing itself, 35,000 bytes under it.
    assert_eq!(rows["pprof_live::serve"], (0, 35_000));

    let base = old_file.to_str().unwrap().to_owned();
    let mut args = vec!["-top", "-sample_index=inuse_space", "-base", &base];
    args.extend(focus);
    let (rows, _) = top(&pprof(go, &args, &new_file), "B");
    assert_eq!(
        rows["pprof_live::cache_insert"].0, 25_000,
        "grew by 25 blocks"
    );
    assert_eq!(rows["pprof_live::serve"], (0, 25_000));

    let mut args = vec!["-top", "-sample_index=inuse_objects", "-base", &base];
    args.extend(&focus[..3]);
    let (rows, _) = top(&pprof(go, &args, &new_file), "");
    assert_eq!(rows["pprof_live::cache_insert"].0, 25);
    std::fs::remove_dir_all(&dir).unwrap();
    drop(cache);
}

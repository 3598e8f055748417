//! The pstats reader (`Report::from_pstats_bytes`, over the marshal decoder): any bytes give a
//! report or a `ReadError`, never a panic, a hang or an allocation beyond the input's size; a
//! report it accepts writes a valid pstats file (every caller a key) that reads back with the
//! same rows.

#![no_main]

use libfuzzer_sys::fuzz_target;
use profkit::Report;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = Report::from_pstats_bytes(data) {
        let _ = (report.to_string(), report.stats().callers().to_string());
        // What profkit writes is a valid pstats file (every caller a key), so writing it is a
        // fixed point from the second time on.
        let once = Report::from_pstats_bytes(&report.to_pstats_bytes())
            .expect("a .prof profkit wrote reads back");
        for f in once.functions() {
            for caller in f.callers() {
                let key = (caller.file(), caller.line(), caller.name());
                assert!(
                    once.functions()
                        .any(|g| (g.file(), g.line(), g.name()) == key),
                    "caller {key:?} is not a key"
                );
            }
        }
        // The same rows again (times are float seconds in the file: above 2^53 ns, 104 days,
        // a round trip may move one by a few nanoseconds).
        let twice = Report::from_pstats_bytes(&once.to_pstats_bytes()).expect("and again");
        assert_eq!(once.len(), twice.len());
        for (a, b) in once.functions().zip(twice.functions()) {
            assert_eq!(
                (
                    a.std_name(),
                    a.ncalls(),
                    a.primitive_calls(),
                    a.callers().len()
                ),
                (
                    b.std_name(),
                    b.ncalls(),
                    b.primitive_calls(),
                    b.callers().len()
                )
            );
            let close = |x: std::time::Duration, y: std::time::Duration| {
                x.abs_diff(y).as_nanos() <= x.max(y).as_nanos() >> 50
            };
            assert!(close(a.tottime(), b.tottime()) && close(a.cumtime(), b.cumtime()));
        }
    }
});

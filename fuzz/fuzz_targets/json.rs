//! The JSON reader (`Report::from_json_bytes`): any bytes give a report or a `ReadError`, never
//! a panic; a report it accepts writes back to JSON that reads as an equal report, and its
//! views and other formats render.

#![no_main]

use libfuzzer_sys::fuzz_target;
use profkit::Report;

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = Report::from_json_bytes(data) {
        let again = Report::from_json_bytes(report.to_json().as_bytes())
            .expect("JSON profkit wrote reads back");
        assert!(again == report, "JSON read back differs");
        let _ = (
            report.to_string(),
            report.tree().to_string(),
            report.latency().to_string(),
            report.folded(),
            report.to_pstats_bytes(),
        );
    }
});

//! profkit's JSON format: everything a [`Report`] holds, in a versioned schema that reads back
//! into an equal report. The schema is documented on [`Report::to_json`] and defined in
//! `schema`; `write` and `read` are the two directions.

mod read;
mod schema;
mod write;

use crate::error::{ReadError, WriteError};
use crate::model::Report;

use super::io::write_atomic;

impl Report {
    /// The report as JSON, in profkit's versioned schema: everything the report holds, so that
    /// [`Report::from_json_bytes`] (or [`Report::read`]) gives back an equal report.
    ///
    /// Schema version 3 (every time in nanoseconds, every size in bytes, every count an
    /// integer; version 2 is the same without the compensation, CPU and live figures, the
    /// origin and the sized calls (`sizes`), version 1 also without the memory fields; both
    /// still read, their live figures 0):
    ///
    /// ```text
    /// {
    ///   "format": "profkit", "version": 3,
    ///   "program": "server" | null,         // the executable's file name
    ///   "started_unix_ns": 1790000000000000000 | null,
    ///   "duration_ns": 2000000000 | null,   // from the start (or reset) to the report
    ///   "heap": {"current_bytes": 1048576, "peak_bytes": 4194304},   // with memory only
    ///   "max_rss_bytes": 12582912,          // the OS's peak RSS, when it says
    ///   "compensation": {"own_ps": 8125, "caller_ps": 12000,  // profkit's cost per call,
    ///                    "untimed_ps": 7000, "sampled_own_ps": 10500},  // taken out of the
    ///                                       // times (absent: nothing was); sampled timing's
    ///                                       // figures optional: untimed_ps an untimed call's
    ///                                       // (absent = 0), sampled_own_ps a sampled path's
    ///                                       // timed call's own (absent: own_ps)
    ///   "process": 9313225746154785, "sequence": 4, "resets": 0,  // which process, its n-th
    ///                                       // report, after how many resets
    ///   "sites": [{"name": "app::db::fetch_row", "file": "src/db.rs", "line": 12}, ...],
    ///   "clocks": ["wall"],                 // "wall", "cpu" or "manual"; two: mixed
    ///   "functions": [{                     // one per pstats row
    ///     "site": 0,                        // index into "sites"
    ///     "ncalls": 1973, "primitive_calls": 1, "tottime_ns": 5120, "cumtime_ns": 9011,
    ///     "callers": [{"site": 3, "ncalls": 1, "primitive_calls": 1,
    ///                  "tottime_ns": 3, "cumtime_ns": 9}],
    ///     "latency": [[value_ns, count], ...] | null,   // every recorded duration bucket
    ///     "futures": {"completed": 1, "cancelled": 0, "polls": 3, "wall_ns": 900} | null,
    ///     "memory": {"own": COUNTS, "cum": COUNTS},    // with memory only
    ///     "cpu_ns": 4100, "cum_cpu_ns": 8000,          // with CPU time only
    ///     "sizes": [{"count": 40, "points": [[size, ns], ...]}, ...]   // sized functions only
    ///              // with memory a point is [size, ns, allocations, bytes]
    ///   }, ...],
    ///   "tree": [[site, parent, flags, calls, own_ns, incl_ns], ...] | null,
    ///           // with memory: [.., allocs, bytes, frees, freed_bytes, peak_bytes]
    ///   "memory": {"outside": COUNTS, "overhead": COUNTS, "totals": COUNTS},  // with memory
    ///   "tree_cpu_ns": [own_cpu_ns, ...],   // with CPU time: one per "tree" entry, same order
    ///   "live": [[live_allocs, live_bytes], ...],   // with memory: per entry of "tree"
    ///   "sampling": 16,                     // sampled timing only: about 1 call in 16 timed,
    ///                                       // times are estimates, counts exact
    ///   "threads": [{"name": "main", "clocks": [...], "functions": [...], "tree": [...],
    ///                "memory": {...}}]
    /// }
    /// COUNTS: {"allocs": 3, "bytes": 8000, "frees": 1, "freed_bytes": 64, "peak_bytes": 8000,
    ///          "live_allocs": 2, "live_bytes": 7936}
    /// ```
    ///
    /// Memory (present when the report has it, see [`Report::has_memory`]): per function its
    /// own and cumulative heap figures ([`MemoryStats`](crate::MemoryStats)), per call path
    /// the path's own counts and the peak of its activations, and the rows outside profiled
    /// calls, of profkit's overhead and the allocator's totals.
    ///
    /// `tree` lists the call paths: entry `i` is node `i + 1`, `parent` 0 is the root (no
    /// profiled caller) and a parent always comes first; `flags` bit 1 marks calls that were
    /// the outermost of their function, bit 2 the outermost of their caller -> callee pair. A
    /// report read from a pstats file has no tree (`null`); with a tree, the rows are derived
    /// from it when the file is read, and a file whose listed rows disagree with its tree is
    /// refused (a generated file may list no rows at all and let the tree give them; it then
    /// has no latency). Callees are not stored: they
    /// are the callers seen from the other end. `latency` holds, for each bucket of the
    /// recording threads (1/64 of the value wide), its value and count: the exact distribution
    /// profkit has. JSON numbers here are 64-bit integers; readers limited to doubles (JavaScript)
    /// lose precision above 2^53 ns (104 days). `sizes` holds the calls of a function recorded
    /// with `#[profile(size = ..)]`, per size bucket (two per power of two): the calls
    /// counted and at most 32 of them as `[size, inclusive ns]`, what
    /// [`FunctionStats::complexity`](crate::FunctionStats::complexity) is fitted to; when the
    /// call's allocations were recorded (`profkit::Alloc` installed), as `[size, inclusive ns,
    /// allocations, bytes]`, what [`Scaling::allocations`](crate::Scaling::allocations) and
    /// [`Scaling::bytes`](crate::Scaling::bytes) are fitted to.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, report) = profkit::record(|| { step(); step() });
    /// let json = report.to_json();
    /// assert!(json.starts_with(r#"{"format":"profkit","version":3,"#));
    /// assert_eq!(profkit::Report::from_json_bytes(json.as_bytes()).unwrap(), report);
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn to_json(&self) -> String {
        write::to_json(self)
    }

    /// Writes [`Report::to_json`] to `path`, atomically.
    ///
    /// # Errors
    /// [`WriteError`](crate::WriteError) names the path and the operating system's reason.
    ///
    /// ```
    /// # #[profkit::profile] fn step() {}
    /// let (_, report) = profkit::record(step);
    /// let path = std::env::temp_dir().join(format!("profkit-doc-json-{}.json", std::process::id()));
    /// report.write_json(&path).unwrap();
    /// assert_eq!(profkit::Report::read(&path).unwrap(), report);
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn write_json(&self, path: impl AsRef<std::path::Path>) -> Result<(), WriteError> {
        write_atomic(path.as_ref(), self.to_json().as_bytes())
    }

    /// Reads profkit's JSON (see [`Report::to_json`]).
    ///
    /// # Errors
    /// [`ReadError`] with the line and column where the JSON is wrong and what was expected,
    /// or what is missing (`format`, a known `version`, a site a function names).
    ///
    /// ```
    /// let err = profkit::Report::from_json_bytes(br#"{"format": "profkit", "version": 99}"#).unwrap_err();
    /// assert!(err.to_string().contains("version 99"));
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "json")))]
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Report, ReadError> {
        read::from_json(bytes)
    }
}

//! The JSON schema, as plain structs: these and nothing else are what a file holds (a change
//! that an older reader would misread is a new `version`). Version 2 adds memory figures, as
//! fields a version-1 file does not have; version 3 the compensation taken out, CPU time, the
//! live figures (blocks not freed yet, per path), the report's origin (which process, which
//! report of it) and the sized calls of `#[profile(size = ..)]` functions; one set of structs
//! reads all three, the newer fields optional.

use serde::{Deserialize, Serialize};

use crate::data::MemCounts;

/// The `format` field of every profkit JSON file.
pub(super) const FORMAT: &str = "profkit";
/// The schema version this build writes.
pub(super) const VERSION: u64 = 3;
/// The schema versions this build reads.
pub(super) const READS: [u64; 3] = [1, 2, 3];

#[derive(Deserialize)]
pub(super) struct Header {
    pub(super) format: Option<String>,
    pub(super) version: Option<u64>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct File {
    pub(super) format: String,
    pub(super) version: u64,
    pub(super) program: Option<String>,
    pub(super) started_unix_ns: Option<u64>,
    pub(super) duration_ns: Option<u64>,
    /// Version 2: the process heap when the report was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) heap: Option<HeapJson>,
    /// Version 2: the process's peak resident memory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) max_rss_bytes: Option<u64>,
    /// Version 3: profkit's own cost per call, taken out of the times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) compensation: Option<CompensationJson>,
    /// Version 3: the process that made the report (a token of its id and start) and the
    /// report's number in it, which `Report::since` checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) process: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) sequence: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) resets: Option<u64>,
    /// Version 3: the run's live-heap snapshots (`profkit::snapshot`), when it took any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) snapshots: Option<Vec<SnapshotJson>>,
    pub(super) sites: Vec<SiteJson>,
    #[serde(flatten)]
    pub(super) body: BodyJson,
    pub(super) threads: Vec<ThreadJson>,
}

/// One snapshot: nanoseconds from the first, and `[function name, live bytes]` pairs.
#[derive(Serialize, Deserialize)]
pub(super) struct SnapshotJson {
    pub(super) at_ns: u64,
    pub(super) live: Vec<(String, i64)>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct CompensationJson {
    pub(super) own_ps: u64,
    pub(super) caller_ps: u64,
    /// What an untimed call (sampled timing) costs its caller; absent: 0 (older files, and
    /// reports where it is 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) untimed_ps: u64,
    /// What a timed call of a sampled path costs its own time; absent: 0, `own_ps` stands for
    /// it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) sampled_own_ps: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Serialize, Deserialize)]
pub(super) struct HeapJson {
    pub(super) current_bytes: u64,
    pub(super) peak_bytes: u64,
}

#[derive(Serialize, Deserialize)]
pub(super) struct SiteJson {
    pub(super) name: String,
    pub(super) file: String,
    pub(super) line: u32,
}

#[derive(Serialize, Deserialize)]
pub(super) struct BodyJson {
    pub(super) clocks: Vec<String>,
    pub(super) functions: Vec<FunctionJson>,
    /// `[site, parent, flags, calls, own_ns, incl_ns]`, and with memory
    /// `[.., allocs, bytes, frees, freed_bytes, peak_bytes]`; node `i` of the array is node
    /// `i + 1` of the tree, parent 0 is the root. `None`: a report without a call tree.
    pub(super) tree: Option<Vec<Vec<u64>>>,
    /// Version 2: present when memory was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) memory: Option<BodyMemoryJson>,
    /// Version 3, present when CPU time was recorded: each tree row's own CPU time (ns), in
    /// the order of `tree`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) tree_cpu_ns: Option<Vec<u64>>,
    /// Version 3, with memory: `[live_allocs, live_bytes]` of each node of `tree`, in its
    /// order (signed: in a window they are changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) live: Option<Vec<[i64; 2]>>,
    /// Version 3, with sampled timing: about one call in this many was timed, and the times
    /// are estimates (absent: every call was timed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) sampling: Option<u32>,
}

/// The rows of heap activity that are not functions, and the allocator's own total.
#[derive(Serialize, Deserialize)]
pub(super) struct BodyMemoryJson {
    pub(super) outside: CountsJson,
    pub(super) overhead: CountsJson,
    pub(super) totals: CountsJson,
}

#[derive(Clone, Copy, Default, Serialize, Deserialize)]
pub(super) struct CountsJson {
    pub(super) allocs: u64,
    pub(super) bytes: u64,
    pub(super) frees: u64,
    pub(super) freed_bytes: u64,
    #[serde(default)]
    pub(super) peak_bytes: u64,
    /// Version 3: blocks not freed yet and their bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) live_allocs: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) live_bytes: Option<i64>,
}

impl From<MemCounts> for CountsJson {
    fn from(m: MemCounts) -> Self {
        CountsJson {
            allocs: m.allocs,
            bytes: m.bytes,
            frees: m.frees,
            freed_bytes: m.freed_bytes,
            peak_bytes: m.peak_bytes,
            live_allocs: Some(m.live_allocs),
            live_bytes: Some(m.live_bytes),
        }
    }
}

impl From<CountsJson> for MemCounts {
    fn from(c: CountsJson) -> Self {
        MemCounts {
            allocs: c.allocs,
            bytes: c.bytes,
            frees: c.frees,
            freed_bytes: c.freed_bytes,
            peak_bytes: c.peak_bytes,
            live_allocs: c.live_allocs.unwrap_or(0),
            live_bytes: c.live_bytes.unwrap_or(0),
        }
    }
}

#[derive(Serialize, Deserialize)]
pub(super) struct ThreadJson {
    pub(super) name: String,
    #[serde(flatten)]
    pub(super) body: BodyJson,
}

#[derive(Serialize, Deserialize)]
pub(super) struct FunctionJson {
    pub(super) site: u32,
    pub(super) ncalls: u64,
    pub(super) primitive_calls: u64,
    pub(super) tottime_ns: u64,
    pub(super) cumtime_ns: u64,
    pub(super) callers: Vec<EdgeJson>,
    pub(super) latency: Option<Vec<[u64; 2]>>,
    pub(super) futures: Option<FuturesJson>,
    /// Version 2: own figures (with the peak per call) and cumulative ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) memory: Option<FunctionMemoryJson>,
    /// Version 3: own and cumulative CPU time, when recorded (derived from `tree_cpu_ns` on
    /// reading; written for readers of the rows alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) cpu_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) cum_cpu_ns: Option<u64>,
    /// Version 3: the sized calls (`#[profile(size = ..)]`), per size bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) sizes: Option<Vec<SizeBucketJson>>,
}

/// One size bucket of a function's sized calls: how many, and some as `[size, ns]`, or
/// `[size, ns, allocations, bytes]` when the call's allocations were recorded.
#[derive(Serialize, Deserialize)]
pub(super) struct SizeBucketJson {
    pub(super) count: u64,
    pub(super) points: Vec<Vec<u64>>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct FunctionMemoryJson {
    pub(super) own: CountsJson,
    pub(super) cum: CountsJson,
}

#[derive(Serialize, Deserialize)]
pub(super) struct EdgeJson {
    pub(super) site: u32,
    pub(super) ncalls: u64,
    pub(super) primitive_calls: u64,
    pub(super) tottime_ns: u64,
    pub(super) cumtime_ns: u64,
    /// Version 3: the callee's own and cumulative CPU time in these calls, when recorded
    /// (derived from `tree_cpu_ns` on reading; written for readers of the rows alone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) cpu_ns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) cum_cpu_ns: Option<u64>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct FuturesJson {
    pub(super) completed: u64,
    pub(super) cancelled: u64,
    pub(super) polls: u64,
    pub(super) wall_ns: u64,
}

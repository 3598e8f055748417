//! What one profiled call costs the times measured around it, measured once per clock kind
//! (as Python's `profile.Profile.calibrate` and piano do), so reports can take it out.
//!
//! A call's instrumentation runs partly inside its own measured interval (after the clock read
//! on entry, before the one on exit) and partly outside it, in its caller's. Calibration times
//! loops of plain empty calls and of profiled empty calls in a private recording that no
//! report sees: the empty function's measured time per call is what a call adds to its own
//! time, and what its caller's own time exceeds the plain loop by, per call, is what it adds to
//! its caller's. Each figure is the smallest of a few repetitions, so a preempted repetition
//! does not count.
//!
//! Under sampled timing (`PROFKIT_SAMPLE`) most calls are untimed: counted, no clock read. Such
//! a call still costs its caller's measured time its bookkeeping, which a third loop measures:
//! profiled empty calls forced untimed (`local::leave_untimed_for_calibration`), whose
//! caller's own time exceeds the plain loop's by what one untimed call costs it. And a timed
//! call amid untimed ones costs its own time more than one amid timed ones: a fourth loop
//! times one call after each random run of untimed ones, as sampling at rate 16 does, for the
//! own cost of a sampled timed call. (In `examples/sampling` a timed call of a 10 ns function
//! measured about 3 ns more sampled than exact; this loop sees 0.2 - 0.6 ns of it, so most of
//! that still moves time from a caller to its short callees.)
//!
//! `PROFKIT_CALIBRATE=0` turns it off; the test clock is never compensated (its times are what
//! the test said), except with figures a test injects on its thread
//! ([`inject`], `profkit::testing::inject_calibration`).

use std::cell::Cell;
use std::hint::black_box;
use std::sync::OnceLock;

use crate::data::{PerCall, TreeNode};

use super::clock::{Clock, ClockKind};
use super::guard;
use super::local;
use super::registry::NamedProfile;
use super::site::CallSite;
use super::switch::parse_switch;

fn no_hook() {}

static LOOP: CallSite = CallSite::from_name("<profkit calibration loop>", "~", 0, no_hook);
static EMPTY: CallSite = CallSite::from_name("<profkit calibration call>", "~", 0, no_hook);

/// Whether compensation is on: `PROFKIT_CALIBRATE` `1` (the default) or `0`; any other value
/// is one line on stderr and the default.
pub(crate) fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        parse_switch(
            "PROFKIT_CALIBRATE",
            std::env::var("PROFKIT_CALIBRATE").ok(),
            true,
        )
    })
}

thread_local! {
    /// Figures a test injected for reports built on this thread.
    static INJECTED: Cell<Option<PerCall>> = const { Cell::new(None) };
}

/// Makes reports built on this thread take `cost` out of every recording, whatever its clock
/// (the test clock included); `None` goes back to measured figures. Returns the previous one.
pub(crate) fn inject(cost: Option<PerCall>) -> Option<PerCall> {
    INJECTED.with(|c| c.replace(cost))
}

/// The figures injected on this thread, if any.
pub(crate) fn figures_injected() -> Option<PerCall> {
    INJECTED.with(Cell::get)
}

static WALL: OnceLock<Option<PerCall>> = OnceLock::new();
static CPU: OnceLock<Option<PerCall>> = OnceLock::new();

fn cell(kind: ClockKind) -> Option<&'static OnceLock<Option<PerCall>>> {
    match kind {
        ClockKind::Wall => Some(&WALL),
        ClockKind::ThreadCpu => Some(&CPU),
        _ => None,
    }
}

/// Measures the figures of `kind` unless they are known (the first report does it: about a
/// millisecond for the wall clock, ten for the CPU clock). Must run outside `local::busy`.
pub(crate) fn prepare(kind: ClockKind) {
    if !enabled() || INJECTED.with(Cell::get).is_some() {
        return;
    }
    if let Some(cell) = cell(kind) {
        cell.get_or_init(|| measured(kind).or_else(|| measured_on_a_thread(kind)));
    }
}

fn measured(kind: ClockKind) -> Option<PerCall> {
    // What calibration allocates (its private recording) is profkit's overhead.
    let _bookkeeping = super::memory::bookkeeping();
    measure(kind)
}

/// Measures on a thread of its own: the calling thread cannot record when its thread-locals
/// are gone, as the main thread's are when the at-exit report is made (glibc runs thread-local
/// destructors before `atexit` handlers), and without this that report, the one `PROFKIT=1`
/// prints, would never be compensated.
fn measured_on_a_thread(kind: ClockKind) -> Option<PerCall> {
    std::thread::Builder::new()
        .name("profkit-calibration".into())
        .spawn(move || measured(kind))
        .ok()?
        .join()
        .ok()
        .flatten()
}

/// The figures to take out of a recording made with `kind`: injected ones, or those measured
/// by [`prepare`]; `None` for the test clock, with compensation off, or before `prepare`.
pub(crate) fn figures(kind: ClockKind) -> Option<PerCall> {
    if let Some(injected) = INJECTED.with(Cell::get) {
        return Some(injected);
    }
    if !enabled() {
        return None;
    }
    cell(kind).and_then(|c| c.get().copied().flatten())
}

/// Takes the measured (or injected) cost of each call out of every profile recorded with one
/// clock that has figures; returns the figures taken out (the first, if clocks differ).
pub(crate) fn compensate(named: &mut [NamedProfile]) -> Option<PerCall> {
    let mut applied = None;
    for np in named {
        let [kind] = np.clocks.as_slice() else {
            // Several clocks in one profile: no single figure fits it.
            continue;
        };
        if let Some(cost) = figures(*kind) {
            np.profile.tree.compensate(cost);
            applied.get_or_insert(cost);
        }
    }
    applied
}

/// Dependent multiply-adds in the calibrated function's body (about 25 ns on the development
/// VM): work whose latency the out-of-order core overlaps with the instrumentation around it,
/// as it does in real functions. An empty body overlaps nothing, and its figures overstate
/// what a call costs a function that does anything (measured: 8 ns instead of 2 for the call's
/// own time). A short one overlaps too much: with 20 rounds the two figures added up to
/// 17.9 ns, less than the two clock reads alone (19 ns), and a 36 ns function still read 15%
/// slow after compensation; with 35 they add up to 23.5 ns, what the overhead bench measures a
/// profiled leaf call to cost over a plain one, and the 36 ns function reads within 4%
/// (`cargo bench -p profkit-suite --bench calibration`).
const BODY_ROUNDS: u32 = 35;

#[inline(always)]
fn body(i: u64) -> u64 {
    let mut v = i;
    for _ in 0..BODY_ROUNDS {
        v = black_box(v.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1));
    }
    v
}

#[inline(never)]
fn empty(i: u64) -> u64 {
    body(i)
}

#[inline(never)]
fn profiled_empty(i: u64) -> u64 {
    // Timed whatever `PROFKIT_SAMPLE` says: the figures are a timed call's cost.
    let _guard = guard::enter_timed(&EMPTY);
    body(i)
}

#[inline(never)]
fn untimed_empty(i: u64) -> u64 {
    // Sampled timing's entry, untimed while the countdown set before the loop runs.
    let _guard = guard::enter_sampled_for_calibration(&EMPTY);
    body(i)
}

/// Calls per repetition, and repetitions; the CPU clock's reads cost a system call each.
fn sizes(kind: ClockKind) -> (u64, usize) {
    match kind {
        ClockKind::ThreadCpu => (500, 7),
        _ => (2_000, 9),
    }
}

/// Smallest per-call times (ns) over the repetitions of: a bare loop, a loop of plain empty
/// calls, the empty profiled function's inclusive time, the profiled loop's own time, and the
/// own time of a profiled loop whose calls are all untimed, and the empty profiled function's
/// inclusive time per timed call when its timed calls come amid untimed ones (`None`: not
/// measured).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Timings {
    pub(crate) bare: f64,
    pub(crate) plain: f64,
    pub(crate) callee: f64,
    pub(crate) caller: f64,
    pub(crate) untimed: Option<f64>,
    pub(crate) sampled_callee: Option<f64>,
}

impl Timings {
    /// The cost of one call: to its own time, what the empty function measured beyond its
    /// body (a plain call's cost over a bare loop's); to its caller's, what the profiled loop's
    /// own time exceeds a bare loop by. The two add up to what a profiled call costs beyond a
    /// plain one. An untimed call's whole cost is in its caller's time: what the loop of
    /// untimed calls exceeds the plain loop (its calls and bodies) by. Negative figures (noise)
    /// are zero.
    pub(crate) fn per_call(&self) -> PerCall {
        let body = (self.plain - self.bare).max(0.0);
        let ps = |ns: f64| (ns.max(0.0) * 1000.0).round() as u64;
        PerCall {
            own_ps: ps(self.callee - body),
            caller_ps: ps(self.caller - self.bare),
            untimed_ps: self.untimed.map_or(0, |u| ps(u - self.plain)),
            // At least a picosecond when measured: 0 means "not measured, as `own_ps`".
            sampled_own_ps: self.sampled_callee.map_or(0, |c| ps(c - body).max(1)),
        }
    }

    /// Each figure the smaller of the two.
    fn min(self, other: Timings) -> Timings {
        Timings {
            bare: self.bare.min(other.bare),
            plain: self.plain.min(other.plain),
            callee: self.callee.min(other.callee),
            caller: self.caller.min(other.caller),
            untimed: smaller(self.untimed, other.untimed),
            sampled_callee: smaller(self.sampled_callee, other.sampled_callee),
        }
    }
}

/// The smaller of two figures, either of which may be missing.
fn smaller(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The node of `site` in a private recording's reading, if it recorded calls.
fn node_of(raw: &super::reading::RawThread, site: &'static CallSite) -> Option<TreeNode> {
    let id = site.id();
    raw.nodes
        .iter()
        .find(|x| x.site == id && x.calls > 0)
        .copied()
}

/// The own time (ticks) of a timed loop of `n` profiled empty calls forced untimed; `None`
/// when they were not all untimed (the thread records nothing, say).
fn untimed_loop(clock: &Clock, n: u64) -> Option<u64> {
    let (_, raw) = local::with_private_recording(clock.clone(), || {
        let _outer = guard::enter_timed(&LOOP);
        let calls = u32::try_from(n).unwrap_or(u32::MAX);
        if local::leave_untimed_for_calibration(&EMPTY, calls) {
            for i in 0..n {
                untimed_empty(i);
            }
        }
    })?;
    let (outer, inner) = (node_of(&raw, &LOOP)?, node_of(&raw, &EMPTY)?);
    (inner.calls == n && inner.untimed == n).then_some(outer.own_ns)
}

/// The inclusive time (ticks) and number of the timed calls of a loop of `n` profiled empty
/// calls where each timed call comes after a run of untimed ones of random length, uniform in
/// `0..=30` as at rate 16 (so the branches that tell the two apart are as unpredictable as
/// in a sampled program); `None` when the calls were not recorded as planned.
fn sampled_loop(clock: &Clock, n: u64) -> Option<(u64, u64)> {
    let (planned, raw) = local::with_private_recording(clock.clone(), || {
        let _outer = guard::enter_timed(&LOOP);
        // A fixed xorshift sequence: the same runs in every repetition.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let (mut i, mut timed) = (0, 0);
        while i < n {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let run = ((state >> 32) % 31).min(n - i - 1);
            // `run` untimed calls, then the countdown is out: one timed call.
            if !local::leave_untimed_for_calibration(&EMPTY, run as u32) {
                return None;
            }
            for _ in 0..=run {
                untimed_empty(i);
                i += 1;
            }
            timed += 1;
        }
        Some(timed)
    })?;
    let timed = planned?;
    let inner = node_of(&raw, &EMPTY)?;
    let measured = inner.calls.saturating_sub(inner.untimed);
    (inner.calls == n && measured == timed && timed > 0).then_some((inner.incl_ns, timed))
}

fn measure(kind: ClockKind) -> Option<PerCall> {
    let clock = Clock::of_kind(kind);
    let (n, reps) = sizes(kind);
    let ns_per_call = |ticks: u64| clock.ticks_to_ns(ticks) as f64 / n as f64;
    let mut best: Option<Timings> = None;
    // One more repetition than counted: the first warms caches and branch predictors.
    for rep in 0..=reps {
        let t0 = clock.ticks();
        for i in 0..n {
            black_box(i);
        }
        let t1 = clock.ticks();
        for i in 0..n {
            empty(i);
        }
        let t2 = clock.ticks();
        let (bare, plain) = (ns_per_call(t1 - t0), ns_per_call(t2 - t1));
        let (_, raw) = local::with_private_recording(clock.clone(), || {
            let _outer = guard::enter_timed(&LOOP);
            for i in 0..n {
                profiled_empty(i);
            }
        })?;
        // Recording is off (`profkit::disable`): nothing to measure.
        let (outer, inner) = (node_of(&raw, &LOOP)?, node_of(&raw, &EMPTY)?);
        if inner.calls != n {
            return None;
        }
        let t = Timings {
            bare,
            plain,
            callee: ns_per_call(inner.incl_ns),
            caller: ns_per_call(outer.own_ns),
            untimed: untimed_loop(&clock, n).map(ns_per_call),
            sampled_callee: sampled_loop(&clock, n)
                .map(|(ticks, timed)| clock.ticks_to_ns(ticks) as f64 / timed as f64),
        };
        if rep == 0 {
            continue;
        }
        best = Some(best.map_or(t, |b| b.min(t)));
    }
    best.map(|t| t.per_call())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_split_a_calls_cost_between_itself_and_its_caller() {
        let t = Timings {
            bare: 0.5,
            plain: 1.75,
            callee: 9.25,
            caller: 12.5,
            untimed: Some(9.0),
            sampled_callee: Some(11.75),
        };
        // Own: 9.25 measured minus a 1.25 ns body; caller: 12.5 minus the bare loop's 0.5;
        // untimed: 9.0 minus the plain loop's 1.75 (its calls' bodies are in both); a sampled
        // timed call's own: 11.75 minus the body.
        assert_eq!(
            t.per_call(),
            PerCall {
                own_ps: 8_000,
                caller_ps: 12_000,
                untimed_ps: 7_250,
                sampled_own_ps: 10_500,
            }
        );
        let noisy = Timings {
            callee: 0.1,
            caller: 0.2,
            untimed: Some(1.0),
            sampled_callee: Some(0.1),
            ..t
        };
        // Noise is zero; a measured sampled own cost at least a picosecond (0: unmeasured).
        assert_eq!(
            noisy.per_call(),
            PerCall {
                sampled_own_ps: 1,
                ..PerCall::default()
            }
        );
        let unmeasured = Timings {
            untimed: None,
            sampled_callee: None,
            ..t
        };
        assert_eq!(unmeasured.per_call().untimed_ps, 0);
        assert_eq!(unmeasured.per_call().sampled_own_ps, 0);
        // The best of two repetitions: each figure's smaller one.
        let other = Timings {
            bare: 0.25,
            untimed: Some(8.5),
            ..t
        };
        assert_eq!(
            t.min(other),
            Timings {
                bare: 0.25,
                untimed: Some(8.5),
                ..t
            }
        );
        assert_eq!(unmeasured.min(t).untimed, Some(9.0));
    }

    #[test]
    fn measuring_the_wall_clock_gives_figures_and_records_nothing_visible() {
        let before = super::super::registry::profiles_by_thread();
        let cost = measure(ClockKind::Wall).expect("recording is on");
        // An instrumented call costs something, and not a microsecond on any machine.
        let total = cost.own_ps + cost.caller_ps;
        assert!((1..1_000_000).contains(&total), "{cost:?}");
        // An untimed call reads no clock: its bookkeeping costs a few ns, or nothing at all
        // where the core overlaps it with the body.
        assert!(cost.untimed_ps < 1_000_000, "{cost:?}");
        let after = super::super::registry::profiles_by_thread();
        let sites = |p: &[super::super::registry::NamedProfile]| {
            p.iter()
                .flat_map(|np| np.profile.tree.nodes().iter().map(|n| n.site))
                .filter(|&s| s == LOOP.id() || s == EMPTY.id())
                .count()
        };
        assert_eq!((sites(&before), sites(&after)), (0, 0));
    }
}

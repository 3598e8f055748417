//! CPU time beside wall time, in the same run, without a system call per profiled call.
//!
//! Reading a thread's CPU clock is a system call (about half a microsecond), far too slow to
//! do twice per call. Instead each recording thread publishes the node of its innermost open
//! call (one relaxed store per enter and exit, [`ThreadShared::publish_current`]), and a
//! sampler thread wakes about every millisecond, reads each recording thread's CPU clock
//! (`pthread_getcpuclockid` + `clock_gettime`) and charges the CPU time since its last
//! reading to the node the thread has open now. A node's CPU time is therefore exact up to the
//! calls that began or ended between two samples: a function with milliseconds in total gets
//! its share to within a sample or so. Reports take one more sample first, and a thread that
//! ends takes its own last one, so no CPU time is lost at either end.
//!
//! The sampler's reading of a clock is a parameter ([`sample_all_with`]), so tests drive it
//! with made-up readings; a platform without a per-thread CPU clock records none (reports say
//! `None`, never zero).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::Duration;

use super::calibrate::parse_switch;
use super::registry::{self, ThreadShared};

/// Whether CPU time is recorded (`PROFKIT_CPU=1` or `profkit::set_cpu(true)`).
static ON: AtomicBool = AtomicBool::new(false);
static FROM_ENV: Once = Once::new();
static SAMPLER: Once = Once::new();

/// How often the sampler reads the threads' CPU clocks.
const PERIOD: Duration = Duration::from_millis(1);

/// What the sampler keeps per thread: its CPU clock, the last reading, and the CPU time charged
/// to each of its nodes (ns, by node index).
#[derive(Debug, Default)]
pub(crate) struct CpuState {
    clock: Option<ThreadClock>,
    last: Option<u64>,
    pub(crate) nodes: Vec<u64>,
}

impl CpuState {
    /// The state of the calling thread (it runs on the thread that starts recording).
    pub(crate) fn for_current_thread() -> CpuState {
        CpuState {
            clock: ThreadClock::current(),
            ..CpuState::default()
        }
    }

    /// Whether the thread has a CPU clock another thread can read.
    pub(crate) fn has_clock(&self) -> bool {
        self.clock.is_some()
    }

    /// Charges the CPU time since the last reading to `node`; `now` is the thread's CPU clock
    /// in ns (`None`: unreadable, the next reading starts afresh).
    pub(crate) fn charge(&mut self, node: u32, now: Option<u64>) {
        if let (Some(last), Some(now)) = (self.last, now) {
            let delta = now.saturating_sub(last);
            let i = node as usize;
            if i >= self.nodes.len() {
                self.nodes.resize(i + 1, 0);
            }
            self.nodes[i] = self.nodes[i].saturating_add(delta);
        }
        self.last = now;
    }

    /// The thread's CPU clock now, read from any thread.
    pub(crate) fn read_clock(&self) -> Option<u64> {
        self.clock.as_ref().and_then(ThreadClock::read)
    }
}

/// Another thread's CPU clock.
#[derive(Debug, Clone, Copy)]
struct ThreadClock {
    #[cfg(unix)]
    id: libc::clockid_t,
}

impl ThreadClock {
    /// The calling thread's CPU clock, as other threads can read it.
    #[cfg(all(unix, not(target_os = "macos")))]
    fn current() -> Option<ThreadClock> {
        let mut id: libc::clockid_t = 0;
        // SAFETY: `pthread_self()` is the calling thread, alive for the call; `id` is a valid
        // `clockid_t` to write. Failure is the return value, and then `id` is not used.
        let rc = unsafe { libc::pthread_getcpuclockid(libc::pthread_self(), &mut id) };
        (rc == 0).then_some(ThreadClock { id })
    }

    /// No per-thread CPU clock that another thread can read: CPU time is not recorded.
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    fn current() -> Option<ThreadClock> {
        None
    }

    #[cfg(unix)]
    fn read(&self) -> Option<u64> {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable `timespec` that outlives the call. A clock of a
        // thread that has ended gives an error (the return value), never a fault.
        let rc = unsafe { libc::clock_gettime(self.id, &mut ts) };
        (rc == 0).then(|| (ts.tv_sec as u64) * 1_000_000_000 + ts.tv_nsec as u64)
    }

    #[cfg(not(unix))]
    fn read(&self) -> Option<u64> {
        None
    }
}

/// Whether CPU time is being recorded. The first call reads `PROFKIT_CPU` (`1` on, `0` off;
/// anything else is one line on stderr and off).
pub(crate) fn is_on() -> bool {
    FROM_ENV.call_once(|| {
        if parse_switch("PROFKIT_CPU", std::env::var("PROFKIT_CPU").ok(), false) {
            switch(true);
        }
    });
    ON.load(Ordering::Relaxed)
}

/// Turns CPU recording on (starting the sampler the first time) or off; `PROFKIT_CPU` is then
/// no longer read.
pub(crate) fn set_on(on: bool) {
    FROM_ENV.call_once(|| ());
    switch(on);
}

fn switch(on: bool) {
    ON.store(on, Ordering::Relaxed);
    if on {
        SAMPLER.call_once(|| {
            let started = std::thread::Builder::new()
                .name("profkit-cpu-sampler".into())
                .spawn(|| {
                    loop {
                        std::thread::sleep(PERIOD);
                        if ON.load(Ordering::Relaxed) {
                            sample_all();
                        }
                    }
                });
            if started.is_err() {
                // No thread, no samples: CPU time is not recorded.
                ON.store(false, Ordering::Relaxed);
            }
        });
    }
}

/// One sample of every recording thread's real CPU clock.
pub(crate) fn sample_all() {
    sample_all_with(|t| t.cpu_clock_now());
}

/// One sample of every recording thread, with `read` giving each thread's CPU clock (ns).
pub(crate) fn sample_all_with(read: impl Fn(&ThreadShared) -> Option<u64>) {
    for thread in registry::live_threads() {
        sample_with(&thread, &read);
    }
}

/// One sample of one thread.
pub(crate) fn sample_with(thread: &Arc<ThreadShared>, read: impl Fn(&ThreadShared) -> Option<u64>) {
    thread.charge_cpu(read(thread));
}

#[cfg(test)]
mod tests {
    use super::super::clock::Clock;
    use super::super::guard::enter;
    use super::super::local::{read_current, switch_clock};
    use super::super::site::CallSite;
    use super::*;

    fn no_hook() {}

    static OUTER: CallSite = CallSite::from_name("cpu_outer", file!(), line!(), no_hook);
    static INNER: CallSite = CallSite::from_name("cpu_inner", file!(), line!(), no_hook);

    /// CPU time charged to this thread's paths ending in `site`.
    fn cpu_of(site: &'static CallSite) -> u64 {
        let id = site.id();
        let reading = read_current(false).expect("this thread records");
        let state = reading.thread.cpu.lock();
        reading
            .raw
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.site == id)
            .map(|(i, _)| state.nodes.get(i).copied().unwrap_or(0))
            .sum()
    }

    #[test]
    fn each_sample_charges_the_cpu_time_since_the_last_to_the_call_open_now() {
        assert!(switch_clock(Clock::manual()).is_ok());
        let me = read_current(false).expect("this thread records").thread;
        // Made-up readings of this thread's CPU clock, one per sample.
        let sample = |ns: u64| sample_with(&me, |_| Some(ns));
        sample(1_000); // the first reading only sets the start
        let outer = enter(&OUTER);
        sample(1_500); // 500 while `outer` was open
        let inner = enter(&INNER);
        sample(1_800); // 300 in `inner`
        sample(2_800); // 1000 more in `inner`
        drop(inner);
        sample(3_000); // 200 in `outer` again
        drop(outer);
        sample(3_400); // 400 outside any call: the root's
        assert_eq!((cpu_of(&OUTER), cpu_of(&INNER)), (700, 1_300));
        // An unreadable clock charges nothing and restarts from the next reading.
        let outer = enter(&OUTER);
        sample_with(&me, |_| None);
        sample(9_000);
        sample(9_050);
        drop(outer);
        assert_eq!(cpu_of(&OUTER), 750);
    }

    #[test]
    fn a_thread_reads_its_own_cpu_clock_where_the_platform_has_one() {
        let state = CpuState::for_current_thread();
        if cfg!(target_os = "linux") {
            let a = state.read_clock().expect("linux has per-thread CPU clocks");
            let mut x = 0u64;
            for i in 0..1_000_000u64 {
                x = std::hint::black_box(x ^ i);
            }
            let b = state.read_clock().unwrap();
            assert!(b > a, "{a} then {b}");
        } else {
            assert_eq!(state.has_clock(), state.read_clock().is_some());
        }
    }
}

//! CPU time beside wall time, in the same run, without a system call per profiled call.
//!
//! Reading a thread's CPU clock is a system call (about half a microsecond), far too slow to
//! do twice per call. Instead each recording thread publishes the node of its innermost open
//! call (one relaxed store per enter and exit, `ThreadShared::publish_current`), and a
//! sampler thread wakes about every millisecond, reads each recording thread's CPU clock
//! (`pthread_getcpuclockid` + `clock_gettime`) and charges the CPU time since its last
//! reading to the node the thread has open now. A node's CPU time is therefore exact up to the
//! calls that began or ended between two samples: a function with milliseconds in total gets
//! its share to within a sample or so. Reports take one more sample first, and a thread that
//! ends takes its own last one, so no CPU time is lost at either end.
//!
//! The sampler's reading of a clock is a parameter (`sampler::sample_all_with`), so tests drive it
//! with made-up readings; a platform without a per-thread CPU clock records none (reports say
//! `None`, never zero).

use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use super::switch::parse_switch;

/// Whether CPU time is recorded (`PROFKIT_CPU=1` or `profkit::set_cpu(true)`).
static ON: AtomicBool = AtomicBool::new(false);
static FROM_ENV: Once = Once::new();

/// What the sampler keeps per thread: its CPU clock, the last reading, and the CPU time charged
/// to each of its nodes (ns, by node index).
#[derive(Debug, Default)]
pub(crate) struct CpuState {
    clock: Option<ThreadClock>,
    /// Set by `profkit::testing`: this thread's CPU time is recorded whatever the switch, and
    /// its clock is `test` instead of the platform's.
    test: Option<TestCpu>,
    last: Option<u64>,
    pub(crate) nodes: Vec<u64>,
}

thread_local! {
    /// The test clock `profkit::testing` gave this thread: recordings it starts later (a test
    /// clock of wall time switches to a new one) get it too.
    static TEST: Cell<Option<TestCpu>> = const { Cell::new(None) };
}

/// Gives the calling thread's recordings, present and future, a test CPU clock (`None`: the
/// platform's); returns the previous one.
pub(crate) fn set_test_for_thread(test: Option<TestCpu>) -> Option<TestCpu> {
    TEST.with(|t| t.replace(test))
}

/// A thread's CPU clock as a test makes it (`profkit::testing::TestCpuClock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestCpu {
    /// Moves only by [`CpuState::advance`]: samples taken meanwhile charge nothing.
    Manual,
    /// No per-thread CPU clock, as on a platform without one.
    Missing,
}

impl CpuState {
    /// The state of the calling thread (it runs on the thread that starts recording), with
    /// the test clock the thread was given, if any.
    pub(crate) fn for_current_thread() -> CpuState {
        let mut state = CpuState {
            clock: ThreadClock::current(),
            ..CpuState::default()
        };
        if let Some(test) = TEST.with(Cell::get) {
            state.set_test(Some(test));
        }
        state
    }

    /// Whether the thread has a CPU clock another thread can read.
    pub(crate) fn has_clock(&self) -> bool {
        match self.test {
            Some(TestCpu::Manual) => true,
            Some(TestCpu::Missing) => false,
            None => self.clock.is_some(),
        }
    }

    /// Whether this thread's CPU time is recorded: switched on (or a test clock) and a clock to
    /// read. Without one, reports say `None`, never zero.
    pub(crate) fn recorded(&self) -> bool {
        (self.test.is_some() || is_on()) && self.has_clock()
    }

    /// Gives the thread a test clock (`None`: the platform's again), starting afresh: nothing
    /// charged so far is lost, and the next reading starts the next interval.
    pub(crate) fn set_test(&mut self, test: Option<TestCpu>) {
        self.test = test;
        self.last = match test {
            Some(TestCpu::Manual) => Some(0),
            Some(TestCpu::Missing) => None,
            None => self.clock.as_ref().and_then(ThreadClock::read),
        };
    }

    /// With the manual test clock: `ns` more of CPU time, charged to `node` now. Returns
    /// whether there was a manual clock to move.
    pub(crate) fn advance(&mut self, node: u32, ns: u64) -> bool {
        if self.test != Some(TestCpu::Manual) {
            return false;
        }
        let now = self.last.unwrap_or(0).saturating_add(ns);
        self.charge(node, Some(now));
        true
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

    /// The thread's CPU clock now, read from any thread (a manual test clock stands still
    /// between its advances).
    pub(crate) fn read_clock(&self) -> Option<u64> {
        match self.test {
            Some(TestCpu::Manual) => self.last,
            Some(TestCpu::Missing) => None,
            None => self.clock.as_ref().and_then(ThreadClock::read),
        }
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
/// anything else is one line on stderr and off). The sampler thread is started apart
/// ([`sampler`](super::sampler)), by the first recording thread or `set_cpu`.
pub(crate) fn is_on() -> bool {
    FROM_ENV.call_once(|| {
        if parse_switch("PROFKIT_CPU", std::env::var("PROFKIT_CPU").ok(), false) {
            ON.store(true, Ordering::Relaxed);
        }
    });
    ON.load(Ordering::Relaxed)
}

/// Turns CPU recording on or off; `PROFKIT_CPU` is then no longer read.
pub(crate) fn set_flag(on: bool) {
    FROM_ENV.call_once(|| ());
    ON.store(on, Ordering::Relaxed);
}

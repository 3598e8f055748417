//! CPU time beside wall time, in the same run, without a system call per profiled call.
//!
//! Reading a thread's CPU clock is a system call (about half a microsecond), far too slow to
//! do twice per call. Instead each recording thread publishes the node of its innermost open
//! call (one relaxed store per enter and exit, `local::hot::set_current` into
//! `ThreadShared::current_slot`), and a sampler thread wakes about every millisecond ([`sampler`](super::sampler)), reads each
//! recording thread's CPU clock (`pthread_getcpuclockid` + `clock_gettime`) and whether the
//! thread is running at that instant (its state in `/proc/self/task/<tid>/stat`), and charges
//! the CPU time accumulated since the last *charged* sample to the node the thread has open,
//! but only when it finds the thread running (`R`). A sample that finds it asleep charges
//! nothing: the CPU time stays pending for the next running one.
//!
//! Why: charging every sample's delta to the call open at that instant is exact for calls of a
//! millisecond or more, but with short calls that alternate between computing and waiting the
//! instants the sampler gets a core are correlated with the thread's state (on a busy machine
//! it tends to run exactly when the thread goes to sleep), so the waiting calls took the
//! computing ones' time. Skipping the samples that find the thread asleep removes the part of
//! that bias where the sampler looks at a sleeping thread. The jittered period (0.5 to 1.5 ms)
//! and the sampler's precise timer (no timer slack, so its wake-ups are not merged with the
//! thread's) keep its instants from locking onto the thread's rhythm.
//!
//! What remains, measured (`cargo bench -p profkit-suite --bench cpu_share`, 2 vCPUs at load
//! average 8 to 10): calls of a millisecond or more, and mixes inside one call, within 1 point
//! (a run-to-run spread of a few points: CPU time left pending while a function sleeps goes to
//! whatever runs next); 20 µs calls alternating with 20 µs sleeps still far off (the computing
//! one read 25% to 100% CPU instead of 100%, against 0% to 50% before), because on a machine
//! with more runnable threads than cores the sampler still runs mostly when the thread leaves
//! its core, and "running" is the kernel's runnable, which also counts the wait for a core
//! after each wake-up. Instants independent of the thread would need the kernel to sample at
//! the thread's CPU-time instants (a CPU-time timer signalling the thread), which this design
//! avoids: no signal handler in the profiled program.
//!
//! Nothing is lost: a report's own sample and a thread's last one (taken by the thread itself)
//! charge whatever is pending to the call open then. Where the state cannot be read (not
//! Linux, no `/proc`, or more than [`MAX_OPEN_STATS`] recording threads), every sample
//! charges, as before: exact to within a sample for calls of a millisecond or more.
//!
//! The sampler's reading is a parameter (`sampler::sample_all_with`, giving a [`Reading`]:
//! the clock and whether the thread runs), so tests drive it with made-up readings; a platform
//! without a per-thread CPU clock records none (reports say `None`, never zero).

use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use once_cell::sync::OnceCell;

use super::switch::parse_switch;

/// Whether CPU time is recorded (`PROFKIT_CPU=1` or `profkit::set_cpu(true)`).
static ON: AtomicBool = AtomicBool::new(false);
static FROM_ENV: Once = Once::new();

/// What the sampler keeps per thread: its CPU clock, where to read whether it runs, the clock
/// at the last charged sample, and the CPU time charged to each of its nodes (ns, by node
/// index).
#[derive(Debug, Default)]
pub(crate) struct CpuState {
    clock: Option<ThreadClock>,
    /// Whether the thread runs, read by the sampler (`None`: it cannot be told).
    stat: Option<ThreadStat>,
    /// Set by `profkit::testing`: this thread's CPU time is recorded whatever the switch, and
    /// its clock is `test` instead of the platform's.
    test: Option<TestCpu>,
    /// The clock at the last charged sample: what it reads beyond is pending.
    last: Option<u64>,
    /// The clock at the last sample, charged or not.
    seen: Option<u64>,
    pub(crate) nodes: Vec<u64>,
}

/// One sample's look at a thread: its CPU clock (ns; `None`: unreadable) and whether it runs
/// (is runnable) at that instant; `true` also when that cannot be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reading {
    pub(crate) cpu: Option<u64>,
    pub(crate) running: bool,
}

/// Which samples charge the pending CPU time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// The sampler's: only one that finds the thread running, with the same call open before
    /// and after the reading (otherwise the reading may belong to either call).
    Running,
    /// A report's, or the thread's own last: whatever is pending, to the call open now.
    All,
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
        let clock = ThreadClock::current();
        let mut state = CpuState {
            stat: clock.and_then(|_| ThreadStat::current()),
            clock,
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
        self.seen = self.last;
    }

    /// With the manual test clock: `ns` more of CPU time, charged to `node` now. Returns
    /// whether there was a manual clock to move.
    pub(crate) fn advance(&mut self, node: u32, ns: u64) -> bool {
        if self.test != Some(TestCpu::Manual) {
            return false;
        }
        let now = self.last.unwrap_or(0).saturating_add(ns);
        self.charge(node, Some(now));
        self.seen = self.last;
        true
    }

    /// One sample: `before` and `now` are the thread's open node before and after `reading`.
    /// With [`Take::Running`], a sample that finds the thread asleep, or its open call changed
    /// meanwhile, charges nothing and leaves the CPU time pending (an unreadable clock still
    /// restarts the count).
    pub(crate) fn sample(&mut self, take: Take, before: u32, now: u32, reading: Reading) {
        let charges = match take {
            Take::All => true,
            Take::Running => reading.running && before == now,
        };
        if charges || reading.cpu.is_none() {
            self.charge(now, reading.cpu);
        } else if self.last.is_none() {
            // The first reading after none: the count starts here.
            self.last = reading.cpu;
        }
        self.seen = reading.cpu;
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

    /// The sampler's look at the thread, from another thread: its CPU clock and whether it runs.
    /// A clock that has not moved since the last sample says the thread has not run
    /// meanwhile: asleep, without reading its state (an idle thread costs one clock read).
    pub(crate) fn read(&self) -> Reading {
        let cpu = self.read_clock();
        let running = match (self.test, cpu) {
            (Some(_), _) => true,
            (None, Some(now)) if self.seen == Some(now) => false,
            (None, _) => self
                .stat
                .as_ref()
                .and_then(ThreadStat::running)
                .unwrap_or(true),
        };
        Reading { cpu, running }
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

/// At most this many recording threads have their `/proc` stat file open at once (one file
/// descriptor each, so that a program with many threads does not run out of them because of
/// profkit); the sampler cannot tell whether the others run, and charges at every sample.
pub(crate) const MAX_OPEN_STATS: usize = 64;

/// Stat files open now.
static OPEN_STATS: AtomicUsize = AtomicUsize::new(0);

/// Where the sampler reads whether a thread runs: its `/proc/self/task/<tid>/stat`, opened
/// by the sampler at its first look (so a thread that records no CPU time holds no file) and
/// read again at offset 0 each time (procfs regenerates the text on each read from 0).
#[derive(Debug)]
struct ThreadStat {
    tid: i32,
    file: OnceCell<Option<StatFile>>,
}

/// An open stat file, counted in its counter ([`OPEN_STATS`]) while it is open.
#[derive(Debug)]
struct StatFile {
    file: std::fs::File,
    counted: &'static AtomicUsize,
}

impl Drop for StatFile {
    fn drop(&mut self) {
        self.counted.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ThreadStat {
    /// The calling thread's.
    #[cfg(target_os = "linux")]
    fn current() -> Option<ThreadStat> {
        // SAFETY: `gettid` has no preconditions and cannot fail; it returns the calling
        // thread's id (exercised by `a_thread_reads_as_running_itself_and_asleep_when_blocked`).
        let tid = unsafe { libc::gettid() };
        Some(ThreadStat {
            tid,
            file: OnceCell::new(),
        })
    }

    /// Elsewhere no thread state: every sample charges.
    #[cfg(not(target_os = "linux"))]
    fn current() -> Option<ThreadStat> {
        None
    }

    /// Whether the thread runs now (`None`: cannot be told).
    fn running(&self) -> Option<bool> {
        let file = self
            .file
            .get_or_init(|| self.open(&OPEN_STATS, MAX_OPEN_STATS))
            .as_ref()?;
        read_running(&file.file)
    }

    /// Opens the thread's stat file unless `counted` files are open already, `max` or more.
    fn open(&self, counted: &'static AtomicUsize, max: usize) -> Option<StatFile> {
        if counted.fetch_add(1, Ordering::Relaxed) >= max {
            counted.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        match std::fs::File::open(format!("/proc/self/task/{}/stat", self.tid)) {
            Ok(file) => Some(StatFile { file, counted }),
            Err(_) => {
                counted.fetch_sub(1, Ordering::Relaxed);
                None
            }
        }
    }
}

/// Reads an open stat file again from its start: whether the thread runs (`None`: unreadable,
/// as when the thread has ended).
#[cfg(unix)]
fn read_running(file: &std::fs::File) -> Option<bool> {
    use std::os::unix::fs::FileExt;
    // The state is within the first 64 bytes (pid, comm of at most 15 bytes, state); the rest
    // of the line is numbers, so the last ')' read is the end of comm.
    let mut buf = [0u8; 256];
    let n = file.read_at(&mut buf, 0).ok()?;
    parse_running(buf.get(..n)?)
}

#[cfg(not(unix))]
fn read_running(_: &std::fs::File) -> Option<bool> {
    None
}

/// Whether a `/proc/<pid>/task/<tid>/stat` line says the thread runs: the state is the field
/// after the parenthesised comm, which may itself hold spaces and parentheses, so it is read
/// after the *last* `)`. `R` (running or runnable) is running; any other letter (`S`, `D`, `T`,
/// ...) is not; `None` when there is no state to read.
pub(crate) fn parse_running(stat: &[u8]) -> Option<bool> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let state = stat
        .get(close + 1..)?
        .iter()
        .find(|b| !b.is_ascii_whitespace())?;
    state.is_ascii_alphabetic().then_some(*state == b'R')
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

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn stat_files_stop_at_the_cap_and_each_closed_one_frees_a_place() {
        use super::{AtomicUsize, Ordering, ThreadStat};
        static COUNTED: AtomicUsize = AtomicUsize::new(0);
        let me = ThreadStat::current().expect("linux has thread ids");
        let mut open: Vec<_> = (0..5).filter_map(|_| me.open(&COUNTED, 3)).collect();
        assert_eq!((open.len(), COUNTED.load(Ordering::Relaxed)), (3, 3));
        assert!(me.open(&COUNTED, 3).is_none(), "the cap holds");
        assert!(super::read_running(&open[0].file).is_some());
        open.pop();
        assert_eq!(COUNTED.load(Ordering::Relaxed), 2);
        open.extend(me.open(&COUNTED, 3));
        assert_eq!((open.len(), COUNTED.load(Ordering::Relaxed)), (3, 3));
        drop(open);
        assert_eq!(COUNTED.load(Ordering::Relaxed), 0);
    }

    use super::*;

    #[test]
    fn the_state_is_read_after_the_last_parenthesis_whatever_the_thread_is_called() {
        let running = |line: &str| parse_running(line.as_bytes());
        assert_eq!(running("4242 (cargo) R 1 4242 1 0 -1"), Some(true));
        assert_eq!(running("4242 (my worker) S 1 4242"), Some(false));
        // A name holding ") R (": the first ')' would read it as running.
        assert_eq!(running("4242 (a) R (b)) S 1 2 3"), Some(false));
        assert_eq!(running("4242 ()) R 1"), Some(true));
        assert_eq!(running("4242 (x (y)) D 1"), Some(false));
        assert_eq!(running("4242 (kworker/0:1) I 2"), Some(false));
        assert_eq!(running("4242 (t)\tR 1"), Some(true));
        for bad in ["", "4242 (cut", "4242 (x) ", "4242 (x) 5 1", "R"] {
            assert_eq!(running(bad), None, "{bad:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_reads_as_running_itself_and_asleep_when_blocked() {
        use std::sync::mpsc;
        use std::time::{Duration, Instant};

        let mine = ThreadStat::current().expect("linux tells a thread's state");
        assert_eq!(mine.running(), Some(true), "the calling thread runs");
        let (to_main, from_thread) = mpsc::channel();
        let (to_thread, from_main) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let stat = ThreadStat::current().expect("linux tells a thread's state");
            // Read by the thread itself, then again from the same file once it blocks: procfs
            // writes the text anew at each read from offset 0.
            let own = stat.running();
            let state = CpuState::for_current_thread();
            to_main.send((own, stat, state)).expect("main waits");
            from_main.recv().expect("main sends");
        });
        let (own, stat, mut state) = from_thread.recv().expect("the thread sends");
        assert_eq!(own, Some(true));
        // It blocks on `recv` soon; a bounded wait for the state to say so.
        let deadline = Instant::now() + Duration::from_secs(60);
        while stat.running() != Some(false) {
            assert!(
                Instant::now() < deadline,
                "the blocked thread never read as asleep"
            );
            std::thread::yield_now();
        }
        // The sampler's look at it agrees, once from its state, then from its clock alone.
        let first = state.read();
        assert!(!first.running);
        state.sample(Take::Running, 0, 0, first);
        let again = state.read();
        assert_eq!(again, first, "a blocked thread's clock stands still");
        to_thread.send(()).expect("the thread waits");
        thread.join().expect("the thread ends");
    }
}

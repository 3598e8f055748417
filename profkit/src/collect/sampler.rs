//! The sampler thread of CPU recording (see [`cpu`](super::cpu)): at random intervals of 0.5
//! to 1.5 ms it reads each recording thread's CPU clock and whether the thread runs, and when
//! it runs, charges the CPU time pending since the last charged sample to the call it has
//! open. Reports take one more sample first, which charges whatever is pending.
//!
//! The period is random so that a workload with a period of its own cannot keep meeting the
//! sampler at the same phase, and the sampler's sleeps have no timer slack (Linux lets a timer
//! fire up to 50 µs late, which makes it fire together with another thread's timer, as the
//! wake-up of the thread being sampled), so its wake-ups do not lock onto the sampled
//! threads'. When it then gets a core still depends on them on a machine with more runnable
//! threads than cores (see [`cpu`](super::cpu) for what that costs in accuracy). A round that
//! takes long (many running threads) stretches the next sleep, so that the sampler stays below
//! about a fifth of a core.

use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use super::cpu::{self, CpuState, Reading, Take};
use super::registry::{self, ThreadShared};

/// The mean time between two samples; each sleep is uniform in half to one and a half of it.
const PERIOD: Duration = Duration::from_millis(1);

/// The sampler sleeps at least this many times as long as its last round took.
const IDLE_PER_BUSY: u32 = 4;

static SAMPLER: Once = Once::new();

/// Starts the sampler when CPU time is recorded (`PROFKIT_CPU=1`); a recording thread calls it
/// when it starts.
pub(crate) fn start_if_on() {
    if cpu::is_on() {
        start();
    }
}

/// Turns CPU recording on (starting the sampler the first time) or off.
pub(crate) fn set_on(on: bool) {
    cpu::set_flag(on);
    if on {
        start();
    }
}

fn start() {
    SAMPLER.call_once(|| {
        let started = std::thread::Builder::new()
            .name("profkit-cpu-sampler".into())
            .spawn(|| {
                precise_timers();
                let mut random = Jitter::new();
                let mut busy = Duration::ZERO;
                loop {
                    std::thread::sleep(random.period().max(busy * IDLE_PER_BUSY));
                    if cpu::is_on() {
                        let began = Instant::now();
                        sample_running();
                        busy = began.elapsed();
                    }
                }
            });
        if started.is_err() {
            // No thread, no samples: CPU time is not recorded.
            cpu::set_flag(false);
        }
    });
}

/// The sampler's periodic sample of every recording thread: charges the threads it finds
/// running.
fn sample_running() {
    sample_all_with(Take::Running, CpuState::read);
}

/// A report's sample of every recording thread: charges what is pending of each, whether it
/// runs or not, so that the report has all the CPU time so far.
pub(crate) fn sample_all() {
    sample_all_with(Take::All, |state| Reading {
        cpu: state.read_clock(),
        running: true,
    });
}

/// One sample of every recording thread, with `read` giving each thread's CPU clock (ns) and
/// whether it runs.
pub(crate) fn sample_all_with(take: Take, read: impl Fn(&CpuState) -> Reading) {
    for thread in registry::live_threads() {
        sample_with(&thread, take, &read);
    }
}

/// One sample of one thread.
pub(crate) fn sample_with(
    thread: &Arc<ThreadShared>,
    take: Take,
    read: impl FnOnce(&CpuState) -> Reading,
) {
    thread.sample_cpu(take, read);
}

/// Asks the kernel to wake the calling thread on time (a timer slack of 1 ns instead of the
/// default 50 µs); returns whether it did.
#[cfg(target_os = "linux")]
fn precise_timers() -> bool {
    // SAFETY: `PR_SET_TIMERSLACK` reads one `unsigned long` argument (the slack in ns; the
    // others are ignored and passed as 0) and changes only the calling thread's timers.
    // Failure is the return value. Exercised by `the_sampler_asks_for_precise_timers`.
    let rc = unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong, 0, 0, 0) };
    rc == 0
}

/// Elsewhere the platform's timers as they are.
#[cfg(not(target_os = "linux"))]
fn precise_timers() -> bool {
    false
}

/// The sampler's random sleeps (xorshift; no need for more).
struct Jitter(u64);

impl Jitter {
    fn new() -> Jitter {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Jitter((nanos ^ 0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9) | 1)
    }

    /// A sleep uniform in `PERIOD/2 .. 3*PERIOD/2`.
    fn period(&mut self) -> Duration {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        let span = PERIOD.as_nanos() as u64;
        Duration::from_nanos(span / 2 + (((x >> 32) * span) >> 32))
    }
}

#[cfg(test)]
mod tests {
    use super::super::clock::Clock;
    use super::super::cpu::CpuState;
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
        // Made-up readings of this thread's CPU clock, one per sample, finding it running.
        let sample = |ns: u64| {
            sample_with(&me, Take::Running, |_| Reading {
                cpu: Some(ns),
                running: true,
            })
        };
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
        sample_with(&me, Take::Running, |_| Reading {
            cpu: None,
            running: true,
        });
        sample(9_000);
        sample(9_050);
        drop(outer);
        assert_eq!(cpu_of(&OUTER), 750);
    }

    static SPIN: CallSite = CallSite::from_name("cpu_spin", file!(), line!(), no_hook);
    static WAIT: CallSite = CallSite::from_name("cpu_wait", file!(), line!(), no_hook);

    #[test]
    fn samples_that_find_the_thread_asleep_leave_its_cpu_time_for_the_next_running_one() {
        assert!(switch_clock(Clock::manual()).is_ok());
        let me = read_current(false).expect("this thread records").thread;
        let at = |ns: u64, running: bool| {
            sample_with(&me, Take::Running, |_| Reading {
                cpu: Some(ns),
                running,
            })
        };
        at(1_000, true); // the start
        let spin = enter(&SPIN);
        at(1_020, true); // 20 in `spin`
        drop(spin);
        let wait = enter(&WAIT);
        at(1_030, false); // asleep in `wait`: the 10 before it stay pending
        drop(wait);
        let spin = enter(&SPIN);
        at(1_050, true); // all 30 since the last charged sample: `spin`'s
        drop(spin);
        assert_eq!((cpu_of(&SPIN), cpu_of(&WAIT)), (50, 0));
        let wait = enter(&WAIT);
        at(1_060, false);
        at(1_065, false);
        // A report's sample charges what is pending, asleep or not: nothing is lost.
        sample_with(&me, Take::All, |_| Reading {
            cpu: Some(1_070),
            running: false,
        });
        drop(wait);
        assert_eq!((cpu_of(&SPIN), cpu_of(&WAIT)), (50, 20));
        // After an unreadable clock, a sample that finds the thread asleep starts the count.
        let spin = enter(&SPIN);
        sample_with(&me, Take::Running, |_| Reading {
            cpu: None,
            running: true,
        });
        at(5_000, false);
        at(5_100, true);
        drop(spin);
        assert_eq!(cpu_of(&SPIN), 150);
    }

    #[test]
    fn a_sample_during_which_the_open_call_changed_charges_nothing() {
        assert!(switch_clock(Clock::manual()).is_ok());
        let me = read_current(false).expect("this thread records").thread;
        let running = |ns: u64| Reading {
            cpu: Some(ns),
            running: true,
        };
        sample_with(&me, Take::Running, |_| running(100));
        let outer = enter(&OUTER);
        // A call begins while the sample reads the thread: the reading may be either call's.
        let mut inner = None;
        sample_with(&me, Take::Running, |_| {
            inner = Some(enter(&INNER));
            running(400)
        });
        assert_eq!((cpu_of(&OUTER), cpu_of(&INNER)), (0, 0));
        sample_with(&me, Take::Running, |_| running(450));
        drop(inner);
        drop(outer);
        assert_eq!((cpu_of(&OUTER), cpu_of(&INNER)), (0, 350));
    }

    #[test]
    fn the_sampler_sleeps_half_to_one_and_a_half_periods_a_millisecond_on_average() {
        let mut jitter = Jitter(0x1234_5678_9abc_def1);
        let draws: Vec<Duration> = (0..10_000).map(|_| jitter.period()).collect();
        assert!(
            draws
                .iter()
                .all(|d| *d >= PERIOD / 2 && *d < PERIOD * 3 / 2)
        );
        let mean = draws.iter().sum::<Duration>() / draws.len() as u32;
        assert!(
            mean > PERIOD * 98 / 100 && mean < PERIOD * 102 / 100,
            "{mean:?}"
        );
        // Not stuck on a few values.
        let mut distinct: Vec<_> = draws.iter().map(|d| d.as_micros()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 900, "{}", distinct.len());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_sampler_asks_for_precise_timers() {
        let slack = std::thread::spawn(|| {
            assert!(precise_timers());
            // SAFETY: `PR_GET_TIMERSLACK` takes no argument (zeros are ignored) and returns
            // the calling thread's timer slack in ns.
            unsafe { libc::prctl(libc::PR_GET_TIMERSLACK, 0, 0, 0, 0) }
        })
        .join()
        .expect("the thread ends");
        assert_eq!(slack, 1);
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

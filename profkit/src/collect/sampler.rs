//! The sampler thread of CPU recording (see [`cpu`](super::cpu)): about every millisecond it
//! reads each recording thread's CPU clock and charges the time since its last reading to the
//! call that thread has open. Reports take one more sample first.

use std::sync::{Arc, Once};
use std::time::Duration;

use super::cpu;
use super::registry::{self, ThreadShared};

/// How often the sampler reads the threads' CPU clocks.
const PERIOD: Duration = Duration::from_millis(1);

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
                loop {
                    std::thread::sleep(PERIOD);
                    if cpu::is_on() {
                        sample_all();
                    }
                }
            });
        if started.is_err() {
            // No thread, no samples: CPU time is not recorded.
            cpu::set_flag(false);
        }
    });
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

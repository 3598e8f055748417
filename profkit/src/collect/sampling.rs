//! Sampled timing (`PROFKIT_SAMPLE=N`, `profkit::set_sampling(N)`): every call is counted, but
//! only about one in `N` of each call path's calls on a thread reads the clock.
//!
//! The scheme is a countdown per call-path node (`LocalNode::countdown` in `local`): a timed
//! call draws how many of the path's next calls go untimed, uniformly in `0..=2N-2` (mean
//! `N-1`, so one call in `N` is timed on average) from the thread's xorshift generator. The
//! random gap, rather than a fixed period, keeps a loop whose calls alternate between cheap and
//! dear ones (any period) from always timing the same phase. A path's first call is always
//! timed (a new node's countdown is zero), so nothing called once reads zero. A call is timed
//! or not as a whole: its inclusive time is measured or not at all, never half of it.
//!
//! `N = 1` (the default) is exact mode: the countdown stays zero and every call is timed.
//! Reports estimate per path `cum = timed inclusive time x calls / timed calls` and
//! `own = cum - the children's cum` (`data::estimate_sampled`).

use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

/// The sampling rate in effect: 1 = every call timed.
static RATE: AtomicU32 = AtomicU32::new(1);
/// The last rate above 1 that was in effect (what a report of untimed calls says), 0: none.
static LAST_SAMPLED: AtomicU32 = AtomicU32::new(0);
static FROM_ENV: Once = Once::new();

/// Reads `PROFKIT_SAMPLE` once (the first recording thread, or the first `set_sampling`).
pub(crate) fn init_from_env() {
    FROM_ENV.call_once(|| {
        if let Some(rate) = parse_rate(std::env::var("PROFKIT_SAMPLE").ok()) {
            store(rate);
        }
    });
}

/// `PROFKIT_SAMPLE`'s value as a rate: `None` when unset; a positive integer is the rate; 0,
/// a negative number or anything else is one line on stderr and exact mode (`Some(1)`).
pub(crate) fn parse_rate(value: Option<String>) -> Option<u32> {
    let value = value?;
    let text = value.trim();
    match text.parse::<u32>() {
        Ok(rate) if rate >= 1 => Some(rate),
        _ => {
            eprintln!(
                "profkit: PROFKIT_SAMPLE={text:?} is not a positive whole number of calls; timing every call"
            );
            Some(1)
        }
    }
}

/// Sets the rate (`profkit::set_sampling`); 0 counts as 1.
pub(crate) fn set(rate: u32) {
    init_from_env();
    store(rate.max(1));
}

fn store(rate: u32) {
    if rate > 1 {
        LAST_SAMPLED.store(rate, Ordering::Relaxed);
    }
    RATE.store(rate, Ordering::Relaxed);
}

/// The rate in effect.
#[inline(always)]
pub(crate) fn rate() -> u32 {
    RATE.load(Ordering::Relaxed)
}

/// Whether calls are sampled (a rate above 1): one relaxed load per call.
#[inline(always)]
pub(crate) fn sampled() -> bool {
    rate() > 1
}

/// The rate a report says it was sampled at: the one in effect, or the last one above 1 when
/// the report holds untimed calls (`untimed`) though exact mode is back.
pub(crate) fn reported(untimed: bool) -> Option<u32> {
    let now = rate();
    if now > 1 {
        Some(now)
    } else if untimed {
        Some(LAST_SAMPLED.load(Ordering::Relaxed).max(2))
    } else {
        None
    }
}

/// A seed for a thread's generator (never zero: xorshift would stay at zero).
pub(crate) fn seed(salt: u64) -> u64 {
    (salt ^ 0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9) | 1
}

/// The calls to leave untimed after a timed one: 0 in exact mode, otherwise uniform in
/// `0..=2*rate-2` (mean `rate-1`).
#[inline(always)]
pub(crate) fn gap(state: &mut u64) -> u32 {
    let rate = rate();
    if rate <= 1 {
        return 0;
    }
    gap_at(state, rate)
}

#[inline(never)]
fn gap_at(state: &mut u64, rate: u32) -> u32 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    let span = u64::from(rate) * 2 - 1;
    (((x >> 32) * span) >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_reads_positive_integers_and_falls_back_to_exact_on_anything_else() {
        assert_eq!(parse_rate(None), None);
        assert_eq!(parse_rate(Some("16".into())), Some(16));
        assert_eq!(parse_rate(Some(" 4 ".into())), Some(4));
        assert_eq!(parse_rate(Some("1".into())), Some(1));
        for bad in ["0", "-3", "abc", "", "1.5"] {
            assert_eq!(parse_rate(Some(bad.into())), Some(1), "{bad:?}");
        }
    }

    #[test]
    fn gaps_average_rate_minus_one_and_stay_in_range() {
        let mut state = seed(7);
        let rate = 16;
        let n = 100_000u64;
        let mut sum = 0u64;
        for _ in 0..n {
            let g = gap_at(&mut state, rate);
            assert!(g <= 2 * rate - 2);
            sum += u64::from(g);
        }
        let mean = sum as f64 / n as f64;
        assert!((mean - 15.0).abs() < 0.2, "mean gap {mean}");
    }
}

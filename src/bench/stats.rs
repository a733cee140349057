//! Timing over repeated runs (median, min, max) and the process's peak memory per phase.

use std::time::Instant;

/// The samples of several runs and the last run's result.
pub type Timed<T> = (Samples, T);

/// Seconds of several runs of one thing.
#[derive(Debug, Clone, Default)]
pub struct Samples(pub Vec<f64>);

impl Samples {
    /// Times `f` `runs` times (at least once); the last result is returned with the samples.
    pub fn time<T, E>(runs: usize, mut f: impl FnMut() -> Result<T, E>) -> Result<(Samples, T), E> {
        let mut out = Vec::new();
        let mut last = None;
        for _ in 0..runs.max(1) {
            let started = Instant::now();
            let value = f()?;
            out.push(started.elapsed().as_secs_f64());
            last = Some(value);
        }
        match last {
            Some(v) => Ok((Samples(out), v)),
            None => unreachable!("at least one run"),
        }
    }

    /// Times `a` and `b` in turns, so a busy moment of the machine slows both alike. Short
    /// work gets more turns than `runs`: as many as fit in about half a second, up to 25.
    pub fn alternating<T, U, E>(
        runs: usize,
        mut a: impl FnMut() -> Result<T, E>,
        mut b: impl FnMut() -> Result<U, E>,
    ) -> Result<(Timed<T>, Timed<U>), E> {
        let (mut first, mut a_last) = Samples::time(1, &mut a)?;
        let (mut second, mut b_last) = Samples::time(1, &mut b)?;
        let turn = first.0[0] + second.0[0];
        let wanted = ((0.5 / turn.max(1e-6)) as usize).clamp(runs.max(1), runs.max(25));
        for _ in 1..wanted {
            let (s, v) = Samples::time(1, &mut a)?;
            first.0.extend(s.0);
            a_last = v;
            let (s, v) = Samples::time(1, &mut b)?;
            second.0.extend(s.0);
            b_last = v;
        }
        Ok(((first, a_last), (second, b_last)))
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// The median (mean of the middle two for an even count); 0 when empty.
    pub fn median(&self) -> f64 {
        let v = self.sorted();
        match v.len() {
            0 => 0.0,
            n if n % 2 == 1 => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        }
    }

    /// The fastest run.
    pub fn min(&self) -> f64 {
        self.sorted().first().copied().unwrap_or(0.0)
    }

    /// The slowest run.
    pub fn max(&self) -> f64 {
        self.sorted().last().copied().unwrap_or(0.0)
    }
}

/// Starts a new peak-memory phase: the kernel's high-water mark of this process is reset to
/// its current resident size (Linux; elsewhere nothing happens).
pub fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident memory since the last reset, in MB (Linux), if known.
pub fn peak_memory_mb() -> Option<f64> {
    read_status_kb("VmHWM:").map(|kb| kb as f64 / 1024.0)
}

/// The peak resident memory of process `pid` so far, in MB (Linux), if it is still running.
pub fn process_peak_mb(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_kb(&text, "VmHWM:").map(|kb| kb as f64 / 1024.0)
}

fn read_status_kb(key: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_kb(&text, key)
}

fn parse_kb(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max_of_odd_and_even_counts() {
        let s = Samples(vec![3.0, 1.0, 2.0]);
        assert_eq!((s.median(), s.min(), s.max()), (2.0, 1.0, 3.0));
        let s = Samples(vec![4.0, 1.0, 2.0, 3.0]);
        assert_eq!(s.median(), 2.5);
        assert_eq!(Samples::default().median(), 0.0);
    }

    #[test]
    fn alternating_runs_short_work_more_often() {
        let (mut a, mut b) = (0, 0);
        let ((sa, la), (sb, lb)) = Samples::alternating(
            3,
            || -> Result<usize, ()> {
                a += 1;
                Ok(a)
            },
            || -> Result<usize, ()> {
                b += 1;
                Ok(b)
            },
        )
        .unwrap();
        // Instant work gets the most turns, both sides alike.
        assert_eq!((sa.0.len(), sb.0.len(), la, lb), (25, 25, 25, 25));
        let slow = || -> Result<(), ()> {
            std::thread::sleep(std::time::Duration::from_millis(300));
            Ok(())
        };
        let ((sa, _), _) = Samples::alternating(2, slow, || Ok::<_, ()>(())).unwrap();
        assert_eq!(sa.0.len(), 2);
    }

    #[test]
    fn reads_the_high_water_mark() {
        let text = "Name:\tquarry\nVmHWM:\t  123456 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(parse_kb(text, "VmHWM:"), Some(123_456));
        assert_eq!(parse_kb(text, "VmSwap:"), None);
        if cfg!(target_os = "linux") {
            assert!(peak_memory_mb().is_some_and(|mb| mb > 1.0));
        }
    }
}

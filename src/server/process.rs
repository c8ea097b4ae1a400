//! The process as a whole: the metrics of the Prometheus client conventions
//! (`process_resident_memory_bytes`, `process_cpu_seconds_total`, `process_open_fds` …), read from
//! `/proc` and `getrusage` at scrape time, and the periodic return of freed memory to the system.
//! Linux only: elsewhere there is nothing to read them from cheaply, and they are left out.

/// One reading of the process's resources; a field is `None` when it could not be read.
#[derive(Debug, Default)]
pub(crate) struct ProcessSample {
    pub(crate) resident_memory_bytes: Option<u64>,
    pub(crate) virtual_memory_bytes: Option<u64>,
    pub(crate) cpu_seconds: Option<f64>,
    pub(crate) open_fds: Option<u64>,
    pub(crate) max_fds: Option<u64>,
}

impl ProcessSample {
    /// Reads the process's resources now.
    #[cfg(target_os = "linux")]
    pub(crate) fn now() -> ProcessSample {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        // `VmRSS:    1234 kB`
        let kib = |field: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))
                .and_then(|rest| rest.trim().strip_suffix("kB"))
                .and_then(|n| n.trim().parse::<u64>().ok())
                .map(|n| n * 1024)
        };
        let open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|entries| entries.count() as u64);
        ProcessSample {
            resident_memory_bytes: kib("VmRSS:"),
            virtual_memory_bytes: kib("VmSize:"),
            cpu_seconds: cpu_seconds(),
            open_fds,
            max_fds: max_fds(),
        }
    }

    /// Nothing to read outside Linux.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn now() -> ProcessSample {
        ProcessSample::default()
    }
}

/// Gives the heap memory freed since the last time back to the system, every `period`. glibc
/// keeps freed memory in its arenas (one per thread that allocated): after a peak of large texts
/// or a reload, resident memory would otherwise stay at its high-water mark.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) async fn trim_memory_every(period: std::time::Duration) {
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticks.tick().await;
        // SAFETY: malloc_trim has no precondition; it only returns free pages to the system.
        let _ = tokio::task::spawn_blocking(|| unsafe { libc::malloc_trim(0) }).await;
    }
}

/// User and system CPU time of the whole process, in seconds.
#[cfg(target_os = "linux")]
fn cpu_seconds() -> Option<f64> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage writes a whole `rusage` into the pointer it is given, and returns 0 when
    // it did.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
            return None;
        }
        usage.assume_init()
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

/// The soft limit of open file descriptors.
#[cfg(target_os = "linux")]
fn max_fds() -> Option<u64> {
    let mut limit = std::mem::MaybeUninit::<libc::rlimit>::uninit();
    // SAFETY: getrlimit writes a whole `rlimit` into the pointer it is given, and returns 0 when
    // it did.
    let limit = unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, limit.as_mut_ptr()) != 0 {
            return None;
        }
        limit.assume_init()
    };
    Some(limit.rlim_cur)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_linux_process_reads_its_resources() {
        let sample = ProcessSample::now();
        assert!(sample.resident_memory_bytes.unwrap() > 0);
        assert!(sample.virtual_memory_bytes.unwrap() >= sample.resident_memory_bytes.unwrap());
        assert!(sample.cpu_seconds.unwrap() > 0.0);
        let open = sample.open_fds.unwrap();
        assert!(open >= 3 && open <= sample.max_fds.unwrap(), "{sample:?}");
    }
}

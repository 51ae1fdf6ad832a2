//! What a bench run measured, item by item, and where it ran: plain data, filled in by
//! the measuring half and read by the report.

/// Where and how the run happened.
pub(crate) struct Context {
    /// `quick` or `full`.
    pub(crate) mode: &'static str,
    /// `YYYY-MM-DD` (UTC).
    pub(crate) date: String,
    /// `std::thread::available_parallelism`.
    pub(crate) cores: usize,
    /// The CPU model, when the platform says.
    pub(crate) cpu: Option<String>,
    /// Operating system and kernel.
    pub(crate) os: String,
    /// `Python 3.x.y, msal 1.39.0`.
    pub(crate) python: String,
    /// How many times each measurement was repeated (the median is shown).
    pub(crate) rounds: usize,
}

/// Item 1: silent acquisition from the cache, median nanoseconds per call.
pub(crate) struct Silent {
    pub(crate) accounts: usize,
    pub(crate) entra_ns: Option<f64>,
    pub(crate) msal_ns: Option<f64>,
}

/// Item 2: username/password sign-ins per second, and CPU time per sign-in (µs).
#[derive(Default)]
pub(crate) struct Signin {
    pub(crate) concurrency: usize,
    pub(crate) entra: Option<f64>,
    pub(crate) msal: Option<f64>,
    pub(crate) floor: Option<f64>,
    /// The client process's CPU per sign-in.
    pub(crate) entra_cpu_us: Option<f64>,
    pub(crate) msal_cpu_us: Option<f64>,
    pub(crate) floor_cpu_us: Option<f64>,
    /// mock-idp's CPU per sign-in during entra-auth's runs.
    pub(crate) server_cpu_us: Option<f64>,
}

/// Item 3: one cache operation, median nanoseconds.
pub(crate) struct Serde {
    pub(crate) operation: &'static str,
    pub(crate) accounts: usize,
    pub(crate) bytes: u64,
    pub(crate) entra_ns: Option<f64>,
    pub(crate) msal_ns: Option<f64>,
}

/// Item 4: mock-idp's own password-grant throughput and memory.
pub(crate) struct IdpLoad {
    pub(crate) requests: usize,
    pub(crate) concurrency: usize,
    pub(crate) tokens_per_sec: f64,
    pub(crate) errors: u64,
    /// VmHWM once started, before any request (KiB).
    pub(crate) hwm_idle_kib: Option<u64>,
    /// VmHWM after the requests (KiB).
    pub(crate) hwm_after_kib: Option<u64>,
}

/// Item 5: one refresh storm.
pub(crate) struct Storm {
    pub(crate) callers: usize,
    pub(crate) token_requests: u64,
    pub(crate) from_idp: u64,
    pub(crate) from_cache: u64,
    pub(crate) errors: u64,
}

/// Everything one run measured, and what went wrong on the way.
#[derive(Default)]
pub(crate) struct Results {
    pub(crate) silent: Vec<Silent>,
    pub(crate) signin: Vec<Signin>,
    pub(crate) serde: Vec<Serde>,
    pub(crate) idp: Option<IdpLoad>,
    pub(crate) storms: Vec<Storm>,
    pub(crate) problems: Vec<String>,
}

/// A filled-in `Results` for the unit tests of the report and its targets.
#[cfg(test)]
pub(crate) fn sample() -> Results {
    Results {
        silent: vec![
            Silent {
                accounts: 1,
                entra_ns: Some(3_000.0),
                msal_ns: Some(11_000.0),
            },
            Silent {
                accounts: 10_000,
                entra_ns: Some(5_000.0),
                msal_ns: Some(4_700_000.0),
            },
            Silent {
                accounts: 100_000,
                entra_ns: Some(7_000.0),
                msal_ns: Some(60_000_000.0),
            },
        ],
        signin: vec![
            Signin {
                concurrency: 1,
                entra: Some(700.0),
                msal: Some(450.0),
                floor: Some(720.0),
                ..Signin::default()
            },
            Signin {
                concurrency: 16,
                entra: Some(900.0),
                msal: Some(100.0),
                floor: Some(950.0),
                entra_cpu_us: Some(350.0),
                msal_cpu_us: Some(1_750.0),
                ..Signin::default()
            },
        ],
        storms: vec![Storm {
            callers: 100,
            token_requests: 1,
            from_idp: 1,
            from_cache: 99,
            errors: 0,
        }],
        ..Results::default()
    }
}

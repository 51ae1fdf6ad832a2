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
    /// `MSAL Node 7.2.3 (Node v20.20.2)`, or why MSAL Node did not run.
    pub(crate) node: String,
    /// How many times each measurement was repeated (the median is shown).
    pub(crate) rounds: usize,
}

/// Item 1: silent acquisition from the cache, median nanoseconds per call.
pub(crate) struct Silent {
    pub(crate) accounts: usize,
    pub(crate) entra_ns: Option<f64>,
    pub(crate) msal_ns: Option<f64>,
    pub(crate) node_ns: Option<f64>,
}

/// Item 1: each library's peak resident memory (`VmHWM`, KiB) in its own process, after
/// loading the largest cache and serving one silent call from it.
pub(crate) struct Peak {
    pub(crate) accounts: usize,
    pub(crate) entra_kib: Option<u64>,
    pub(crate) msal_kib: Option<u64>,
    pub(crate) node_kib: Option<u64>,
}

/// Item 6: listing every account of a cache, median nanoseconds per call.
pub(crate) struct Listing {
    pub(crate) accounts: usize,
    pub(crate) entra_ns: Option<f64>,
    pub(crate) msal_ns: Option<f64>,
    pub(crate) node_ns: Option<f64>,
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
    pub(crate) node_ns: Option<f64>,
}

/// Item 4: one server's password-grant throughput, latency and memory under the
/// bench's load generator (mock-idp, or the peer it is measured beside).
pub(crate) struct IdpLoad {
    /// `mock-idp`, or the peer's name and version.
    pub(crate) server: String,
    pub(crate) requests: usize,
    /// Connections, each with one grant in flight.
    pub(crate) connections: usize,
    pub(crate) grants_per_sec: f64,
    /// Latency percentiles of the successful grants (µs).
    pub(crate) p50_us: Option<f64>,
    pub(crate) p99_us: Option<f64>,
    pub(crate) errors: u64,
    /// VmHWM once started, before any request (KiB).
    pub(crate) hwm_idle_kib: Option<u64>,
    /// VmHWM after the requests (KiB).
    pub(crate) hwm_after_kib: Option<u64>,
}

/// The machine's signing floor: what `openssl speed rsa2048` signs per second on one
/// core, times the cores, halved (a grant signs an access token and an id token).
pub(crate) struct SigningFloor {
    pub(crate) signs_per_sec_one_core: f64,
    pub(crate) cores: usize,
}

impl SigningFloor {
    /// Password grants per second the machine could sign at most.
    pub(crate) fn grants_per_sec(&self) -> f64 {
        self.signs_per_sec_one_core * self.cores as f64 / 2.0
    }
}

/// Item 5: one refresh storm.
pub(crate) struct Storm {
    pub(crate) callers: usize,
    pub(crate) token_requests: u64,
    pub(crate) from_idp: u64,
    pub(crate) from_cache: u64,
    pub(crate) errors: u64,
}

/// Item 7: a silent hit through a Redis store, median nanoseconds per call.
pub(crate) struct RedisSilent {
    pub(crate) accounts: usize,
    /// With the in-process front (a generation check, no network).
    pub(crate) warm_ns: Option<f64>,
    /// Without it (every call reads the partition from Redis).
    pub(crate) cold_ns: Option<f64>,
}

/// Item 8: the refresh storm across processes sharing one cache, every round of one
/// configuration.
pub(crate) struct ProcessStorm {
    /// `file` or `redis`.
    pub(crate) store: &'static str,
    pub(crate) processes: usize,
    pub(crate) calls_per_process: usize,
    /// Refresh requests mock-idp received, each round.
    pub(crate) refresh_requests: Vec<u64>,
    /// Calls that got a token, and calls that failed, over all rounds.
    pub(crate) ok: u64,
    pub(crate) failed: u64,
    /// From the signal to go to the last process's answer, each round (ms).
    pub(crate) wall_ms: Vec<f64>,
}

/// Everything one run measured, and what went wrong on the way.
#[derive(Default)]
pub(crate) struct Results {
    pub(crate) silent: Vec<Silent>,
    pub(crate) peak: Option<Peak>,
    pub(crate) listing: Vec<Listing>,
    pub(crate) signin: Vec<Signin>,
    pub(crate) serde: Vec<Serde>,
    pub(crate) idp: Option<IdpLoad>,
    /// Item 4's peer (`oauth2-mock-server`), under the same load right after mock-idp.
    pub(crate) peer: Option<IdpLoad>,
    /// Item 4's signing floor.
    pub(crate) signing_floor: Option<SigningFloor>,
    pub(crate) storms: Vec<Storm>,
    pub(crate) redis_silent: Vec<RedisSilent>,
    pub(crate) process_storms: Vec<ProcessStorm>,
    pub(crate) problems: Vec<String>,
    /// Measurements a library could not take, and why (not failures of the run).
    pub(crate) skipped: Vec<String>,
}

/// A filled-in `Results` for the unit tests of the report and its targets.
#[cfg(test)]
pub(crate) fn sample() -> Results {
    Results {
        silent: vec![
            Silent {
                accounts: 1,
                entra_ns: Some(250.0),
                msal_ns: Some(11_000.0),
                node_ns: Some(20_000.0),
            },
            Silent {
                accounts: 10_000,
                entra_ns: Some(5_000.0),
                msal_ns: Some(4_700_000.0),
                node_ns: None,
            },
            Silent {
                accounts: 100_000,
                entra_ns: Some(7_000.0),
                msal_ns: Some(60_000_000.0),
                node_ns: None,
            },
        ],
        peak: Some(Peak {
            accounts: 100_000,
            entra_kib: Some(500_000),
            msal_kib: Some(3_000_000),
            node_kib: None,
        }),
        listing: vec![Listing {
            accounts: 100_000,
            entra_ns: Some(1_000_000.0),
            msal_ns: Some(500_000_000.0),
            node_ns: None,
        }],
        serde: vec![
            Serde {
                operation: "deserialize",
                accounts: 10_000,
                bytes: 59_000_000,
                entra_ns: Some(30_000_000.0),
                msal_ns: Some(78_000_000.0),
                node_ns: Some(200_000_000.0),
            },
            Serde {
                operation: "serialize",
                accounts: 10_000,
                bytes: 59_000_000,
                entra_ns: Some(100_000_000.0),
                msal_ns: Some(300_000_000.0),
                node_ns: None,
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
        redis_silent: vec![RedisSilent {
            accounts: 1,
            warm_ns: Some(500.0),
            cold_ns: Some(40_000.0),
        }],
        process_storms: vec![
            ProcessStorm {
                store: "file",
                processes: 10,
                calls_per_process: 10,
                refresh_requests: vec![1, 1],
                ok: 200,
                failed: 0,
                wall_ms: vec![60.0, 80.0],
            },
            ProcessStorm {
                store: "redis",
                processes: 100,
                calls_per_process: 1,
                refresh_requests: vec![1],
                ok: 100,
                failed: 0,
                wall_ms: vec![300.0],
            },
        ],
        ..Results::default()
    }
}

//! entra-auth: Microsoft Entra ID access tokens from the command line, for shell
//! scripts, CI jobs and terminals.
//!
//! `login` signs in with a username and password (read from a prompt, standard input or
//! an environment variable, never an argument); `token` prints a token from the cache,
//! refreshing it as needed; `accounts` and `logout` manage the cache. Exit codes are
//! documented per error class in `--help` and the README.
//!
//! Architecture invariant: a thin shell over entra-auth. It persists no secret of its
//! own: the token cache is entra-cache's file store (or entra-cache-redis's store for
//! `--cache redis://...`), and the settings file holds only the client id, authority,
//! CA path and last username. A Redis URL's credentials never leave the store's
//! builder: messages name the server by its location, without them.
#![forbid(unsafe_code)]
// `println!` and `eprintln!` panic when the stream is closed; write with `writeln!`.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod clock;
mod commands;
mod error;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            commands::print_notice(&format!("error: could not start the async runtime: {e}."));
            return ExitCode::from(error::ExitClass::Other.code());
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::debug!(?error, "failed");
            commands::print_notice(&error.paragraph());
            ExitCode::from(error.class().code())
        }
    }
}

/// `-v` logs this tool and the entra crates at info, `-vv` at debug, `-vvv` at trace
/// (other crates stay at warn); `RUST_LOG` overrides. Without `-v`, nothing is logged.
fn init_tracing(verbose: u8) {
    if verbose == 0 {
        return;
    }
    let level = match verbose {
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let default = format!(
        "warn,entra_auth_cli={level},entra_auth={level},entra_http={level},entra_cache={level},\
         entra_protocol={level}"
    );
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        // Its own report of a failed write would panic on a broken standard error.
        .log_internal_errors(false)
        .init();
}

//! `cargo xtask demo`: the main job against an in-process mock-idp.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let mut stdout = std::io::stdout();
    match entra_tests::demo::run(&mut stdout, None).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("demo failed: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

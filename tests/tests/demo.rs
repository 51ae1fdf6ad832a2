//! The demo's output, pinned: what a person sees from `cargo xtask demo`.
#![allow(clippy::unwrap_used)] // A panic in a test is a failed test.

#[tokio::test]
async fn demo_output_reads_as_expected() {
    let mut out = Vec::new();
    entra_tests::demo::run(&mut out, Some(7))
        .await
        .expect("demo runs");
    let text = String::from_utf8(out).expect("utf-8");
    insta::with_settings!({filters => vec![
        (r"localhost:\d+", "localhost:[PORT]"),
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[UUID]"),
        (r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z", "[TIMESTAMP]"),
    ]}, {
        insta::assert_snapshot!(text);
    });
}

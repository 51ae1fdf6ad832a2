//! The throttling rules of `entra_http::Throttle`, against a wiremock server, with a
//! clock moved by hand so no test waits.
#![allow(clippy::unwrap_used)] // Test helpers may panic: a panic is a failed test.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use entra_http::{HttpClient, HttpError, Replayed, ReqwestClient, Sleeper, Throttle, ThrottleKey};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A clock moved by hand.
struct Clock(Mutex<SystemTime>);

impl Clock {
    fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        )))
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }
}

#[async_trait::async_trait]
impl Sleeper for Clock {
    async fn sleep(&self, _duration: Duration) {
        unreachable!("the throttle never sleeps");
    }

    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

fn throttle(clock: &Arc<Clock>) -> Throttle<ReqwestClient> {
    Throttle::with_sleeper(ReqwestClient::builder().build().unwrap(), clock.clone())
}

/// A token POST for `account` with `body`, under a key that asks for 400 replay.
fn token_post(server: &MockServer, account: &str, body: &str) -> entra_http::Request {
    let mut request = http::Request::post(format!("{}/token", server.uri()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.as_bytes().to_vec().into())
        .unwrap();
    request.extensions_mut().insert(
        ThrottleKey::new(["client", "authority", "User.Read", account]).replay_bad_request(true),
    );
    request
}

const WRONG_PASSWORD: &str = "grant_type=password&username=alice&password=wrong";

async fn answer(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(response)
        .mount(server)
        .await;
}

async fn request_count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn a_retry_after_blocks_the_same_key_without_a_request_until_it_passes() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "30"),
    )
    .await;
    let clock = Clock::new();
    let client = throttle(&clock);

    let first = client
        .send(token_post(&server, "alice", "a=1"))
        .await
        .unwrap();
    assert_eq!(first.status(), 429);

    clock.advance(Duration::from_secs(10));
    let error = client
        .send(token_post(&server, "alice", "a=1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, HttpError::Throttled { retry_after, .. } if *retry_after == Duration::from_secs(20)),
        "{error:?}"
    );
    assert_eq!(
        error.url(),
        Some(format!("{}/token", server.uri()).as_str())
    );
    assert!(error.to_string().contains("retry in 20 s"), "{error}");
    assert_eq!(
        request_count(&server).await,
        1,
        "the blocked call sent nothing"
    );

    clock.advance(Duration::from_secs(21));
    client
        .send(token_post(&server, "alice", "a=1"))
        .await
        .unwrap();
    assert_eq!(
        request_count(&server).await,
        2,
        "after the wait it goes out"
    );
}

#[tokio::test]
async fn a_retry_after_does_not_block_another_account_or_unkeyed_requests() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(503).insert_header("Retry-After", "30"),
    )
    .await;
    let clock = Clock::new();
    let client = throttle(&clock);
    client
        .send(token_post(&server, "alice", "a=1"))
        .await
        .unwrap();

    client
        .send(token_post(&server, "bob", "a=1"))
        .await
        .unwrap();
    let unkeyed = http::Request::post(format!("{}/token", server.uri()))
        .body(b"a=1".to_vec().into())
        .unwrap();
    client.send(unkeyed).await.unwrap();

    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn an_http_date_retry_after_is_measured_on_the_clock_and_capped_at_an_hour() {
    let server = MockServer::start().await;
    let clock = Clock::new();
    let in_a_day = httpdate::fmt_http_date(clock.now() + Duration::from_secs(86_400));
    answer(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", in_a_day.as_str()),
    )
    .await;
    let client = throttle(&clock);
    client
        .send(token_post(&server, "alice", "a=1"))
        .await
        .unwrap();

    let error = client
        .send(token_post(&server, "alice", "a=1"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, HttpError::Throttled { retry_after, .. } if retry_after == entra_http::MAX_RETRY_AFTER),
        "{error:?}"
    );
    clock.advance(entra_http::MAX_RETRY_AFTER);
    client
        .send(token_post(&server, "alice", "a=1"))
        .await
        .unwrap();
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_5xx_without_retry_after_blocks_nothing() {
    let server = MockServer::start().await;
    answer(&server, ResponseTemplate::new(500)).await;
    let clock = Clock::new();
    let client = throttle(&clock);

    client
        .send(token_post(&server, "alice", "a=1"))
        .await
        .unwrap();
    client
        .send(token_post(&server, "alice", "a=1"))
        .await
        .unwrap();

    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn an_identical_request_refused_with_400_is_answered_from_memory_for_60_seconds() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(400)
            .insert_header("x-ms-request-id", "first")
            .set_body_raw(r#"{"error":"invalid_grant"}"#, "application/json"),
    )
    .await;
    let clock = Clock::new();
    let client = throttle(&clock);

    let first = client
        .send(token_post(&server, "alice", WRONG_PASSWORD))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(59));
    let second = client
        .send(token_post(&server, "alice", WRONG_PASSWORD))
        .await
        .unwrap();

    assert_eq!(
        request_count(&server).await,
        1,
        "one request reached the server"
    );
    assert_eq!(second.status(), 400);
    assert_eq!(second.body(), first.body());
    assert_eq!(second.headers()["x-ms-request-id"], "first");
    assert!(second.extensions().get::<Replayed>().is_some());
    assert!(first.extensions().get::<Replayed>().is_none());

    clock.advance(Duration::from_secs(1));
    client
        .send(token_post(&server, "alice", WRONG_PASSWORD))
        .await
        .unwrap();
    assert_eq!(
        request_count(&server).await,
        2,
        "after 60 s it is sent again"
    );
}

#[tokio::test]
async fn a_different_body_or_a_400_with_retry_after_is_not_replayed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("retry-after"))
        .respond_with(ResponseTemplate::new(400).insert_header("Retry-After", "5"))
        .mount(&server)
        .await;
    answer(&server, ResponseTemplate::new(400)).await;
    let clock = Clock::new();
    let client = throttle(&clock);

    client
        .send(token_post(&server, "alice", WRONG_PASSWORD))
        .await
        .unwrap();
    client
        .send(token_post(
            &server,
            "alice",
            "grant_type=password&password=other",
        ))
        .await
        .unwrap();
    for _ in 0..2 {
        client
            .send(token_post(&server, "alice", "retry-after"))
            .await
            .unwrap();
    }

    assert_eq!(request_count(&server).await, 4);
}

#[tokio::test]
async fn a_400_is_replayed_only_where_the_key_asks_for_it() {
    let server = MockServer::start().await;
    answer(&server, ResponseTemplate::new(400)).await;
    let clock = Clock::new();
    let client = throttle(&clock);
    let request = || {
        let mut request = http::Request::post(format!("{}/token", server.uri()))
            .body(WRONG_PASSWORD.as_bytes().to_vec().into())
            .unwrap();
        request
            .extensions_mut()
            .insert(ThrottleKey::new(["client", "alice"]));
        request
    };

    client.send(request()).await.unwrap();
    client.send(request()).await.unwrap();

    assert_eq!(request_count(&server).await, 2);
}

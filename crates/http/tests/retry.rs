//! The retry rules of `entra_http::Retry`, against a wiremock server, with a sleeper
//! that records waits instead of sleeping. Requests marked `Retryable` are retried;
//! any other request (one carrying a password, say) is sent exactly once.
#![allow(clippy::unwrap_used)] // Test helpers may panic: a panic is a failed test.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use entra_http::{HttpClient, HttpError, ReqwestClient, Retry, RetryPolicy, Retryable, Sleeper};
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Records every wait; its clock is fixed so HTTP-date `Retry-After` is exact.
struct RecordingSleeper {
    now: SystemTime,
    waits: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            waits: Mutex::new(Vec::new()),
        })
    }

    fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl Sleeper for RecordingSleeper {
    async fn sleep(&self, duration: Duration) {
        self.waits.lock().unwrap().push(duration);
    }

    fn now(&self) -> SystemTime {
        self.now
    }
}

fn client(policy: RetryPolicy, sleeper: &Arc<RecordingSleeper>) -> Retry<ReqwestClient> {
    let inner = ReqwestClient::builder().build().unwrap();
    Retry::with_sleeper(inner, policy, sleeper.clone())
}

/// A request marked [`Retryable`] (a refresh token grant, carrying no password).
fn post(server: &MockServer) -> entra_http::Request {
    let mut request = http::Request::post(format!("{}/token", server.uri()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            b"grant_type=refresh_token&refresh_token=rt%40x"
                .to_vec()
                .into(),
        )
        .unwrap();
    request.extensions_mut().insert(Retryable);
    request
}

/// A request that is not marked: a password grant.
fn password_post(url: &str) -> entra_http::Request {
    http::Request::post(format!("{url}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"grant_type=password&password=p%40ss".to_vec().into())
        .unwrap()
}

async fn respond_once_then(server: &MockServer, first: ResponseTemplate, then: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(first)
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(then)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_503_is_retried_once_then_the_success_returned() {
    let server = MockServer::start().await;
    respond_once_then(
        &server,
        ResponseTemplate::new(503),
        ResponseTemplate::new(200),
    )
    .await;
    let sleeper = RecordingSleeper::new();

    let response = client(RetryPolicy::default(), &sleeper)
        .send(post(&server))
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(1)]);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn each_retryable_5xx_is_retried_and_the_last_answer_returned() {
    for status in [500, 502, 503, 504] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let sleeper = RecordingSleeper::new();

        let response = client(RetryPolicy::default(), &sleeper)
            .send(post(&server))
            .await
            .unwrap();

        assert_eq!(response.status(), status);
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            2,
            "status {status}"
        );
    }
}

#[tokio::test]
async fn retries_are_bounded_by_the_policy() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();
    let policy = RetryPolicy {
        max_retries: 3,
        ..RetryPolicy::default()
    };

    let response = client(policy, &sleeper).send(post(&server)).await.unwrap();

    assert_eq!(response.status(), 500);
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
    assert_eq!(sleeper.waits().len(), 3);
}

#[tokio::test]
async fn no_retry_policy_sends_once() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();

    let response = client(RetryPolicy::none(), &sleeper)
        .send(post(&server))
        .await
        .unwrap();

    assert_eq!(response.status(), 503);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn other_4xx_and_501_are_never_retried() {
    for status in [400, 401, 403, 404, 409, 501] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let sleeper = RecordingSleeper::new();

        let response = client(RetryPolicy::default(), &sleeper)
            .send(post(&server))
            .await
            .unwrap();

        assert_eq!(response.status(), status);
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "status {status}"
        );
        assert!(sleeper.waits().is_empty());
    }
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_waits_that_long() {
    let server = MockServer::start().await;
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "7");
    respond_once_then(&server, throttled, ResponseTemplate::new(200)).await;
    let sleeper = RecordingSleeper::new();

    let response = client(RetryPolicy::default(), &sleeper)
        .send(post(&server))
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn a_429_without_retry_after_is_returned_to_the_caller() {
    let server = MockServer::start().await;
    respond_once_then(
        &server,
        ResponseTemplate::new(429),
        ResponseTemplate::new(200),
    )
    .await;
    let sleeper = RecordingSleeper::new();

    let response = client(RetryPolicy::default(), &sleeper)
        .send(post(&server))
        .await
        .unwrap();

    assert_eq!(response.status(), 429);
    assert!(sleeper.waits().is_empty());
}

#[tokio::test]
async fn a_503_with_an_http_date_retry_after_waits_until_that_date() {
    let server = MockServer::start().await;
    let sleeper = RecordingSleeper::new();
    let date = httpdate::fmt_http_date(sleeper.now + Duration::from_secs(12));
    let unavailable = ResponseTemplate::new(503).insert_header("Retry-After", date.as_str());
    respond_once_then(&server, unavailable, ResponseTemplate::new(200)).await;

    let response = client(RetryPolicy::default(), &sleeper)
        .send(post(&server))
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(12)]);
}

#[tokio::test]
async fn a_retry_after_beyond_the_ceiling_is_not_waited_for() {
    let server = MockServer::start().await;
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "3600");
    respond_once_then(&server, throttled, ResponseTemplate::new(200)).await;
    let sleeper = RecordingSleeper::new();
    let policy = RetryPolicy {
        max_retry_after: Duration::from_secs(30),
        ..RetryPolicy::default()
    };

    let response = client(policy, &sleeper).send(post(&server)).await.unwrap();

    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3600");
    assert!(sleeper.waits().is_empty());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_retried_request_carries_the_same_headers_and_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string("grant_type=refresh_token&refresh_token=rt%40x"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&server)
        .await;
    let sleeper = RecordingSleeper::new();

    client(RetryPolicy::default(), &sleeper)
        .send(post(&server))
        .await
        .unwrap();

    let received = server.received_requests().await.unwrap();
    assert_eq!(
        received.len(),
        2,
        "both attempts matched the header and body matchers"
    );
}

#[tokio::test]
async fn a_connect_failure_is_retried_then_reported() {
    let (_refusing, port) = support::refused_port();
    let sleeper = RecordingSleeper::new();
    let mut request = http::Request::get(format!("http://127.0.0.1:{port}/x?user=alice"))
        .body(entra_http::Body::empty())
        .unwrap();
    request.extensions_mut().insert(Retryable);

    let error = client(RetryPolicy::default(), &sleeper)
        .send(request)
        .await
        .unwrap_err();

    assert!(matches!(error, HttpError::Connect { .. }), "{error:?}");
    assert_eq!(
        error.url(),
        Some(format!("http://127.0.0.1:{port}/x").as_str())
    );
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(1)]);
}

#[tokio::test]
async fn an_unmarked_request_is_sent_once_whatever_the_status() {
    let answers = [
        ResponseTemplate::new(500),
        ResponseTemplate::new(502),
        ResponseTemplate::new(503),
        ResponseTemplate::new(503).insert_header("Retry-After", "1"),
        ResponseTemplate::new(504),
        ResponseTemplate::new(429).insert_header("Retry-After", "1"),
        // ADFS's answer to a wrong password: a SOAP fault is an answer, not a failure.
        ResponseTemplate::new(500).set_body_raw(
            "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body><s:Fault>\
             <s:Code><s:Value>s:Sender</s:Value></s:Code></s:Fault></s:Body></s:Envelope>",
            "application/soap+xml",
        ),
    ];
    for answer in answers {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(answer.clone())
            .expect(1)
            .mount(&server)
            .await;
        let sleeper = RecordingSleeper::new();
        let policy = RetryPolicy {
            max_retries: 3,
            ..RetryPolicy::default()
        };

        let response = client(policy, &sleeper)
            .send(password_post(&server.uri()))
            .await
            .unwrap();

        assert!(!response.status().is_success());
        assert!(sleeper.waits().is_empty());
        server.verify().await;
    }
}

#[tokio::test]
async fn an_unmarked_request_is_not_resent_after_a_connect_failure() {
    let sleeper = RecordingSleeper::new();
    let (_refusing, port) = support::refused_port();

    let error = client(RetryPolicy::default(), &sleeper)
        .send(password_post(&format!("http://127.0.0.1:{port}")))
        .await
        .unwrap_err();

    assert!(matches!(error, HttpError::Connect { .. }), "{error:?}");
    assert!(
        sleeper.waits().is_empty(),
        "no second attempt was scheduled"
    );
}

#[tokio::test]
async fn a_retried_request_keeps_its_extensions() {
    /// Fails the first attempt with a 503, then records whether the copy kept a marker.
    #[derive(Default)]
    struct Inner {
        attempts: Mutex<Vec<bool>>,
    }

    #[derive(Clone)]
    struct Tag;

    #[async_trait::async_trait]
    impl HttpClient for Inner {
        async fn send(
            &self,
            request: entra_http::Request,
        ) -> Result<http::Response<Vec<u8>>, HttpError> {
            let mut attempts = self.attempts.lock().unwrap();
            attempts.push(request.extensions().get::<Tag>().is_some());
            let status = if attempts.len() == 1 { 503 } else { 200 };
            Ok(http::Response::builder()
                .status(status)
                .body(Vec::new())
                .unwrap())
        }
    }

    let sleeper = RecordingSleeper::new();
    let retry = Retry::with_sleeper(Inner::default(), RetryPolicy::default(), sleeper.clone());
    let mut request = http::Request::get("https://idp.example/x")
        .body(entra_http::Body::empty())
        .unwrap();
    request.extensions_mut().insert(Retryable);
    request.extensions_mut().insert(Tag);

    let response = retry.send(request).await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(*retry.inner().attempts.lock().unwrap(), vec![true, true]);
}

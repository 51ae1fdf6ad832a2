//! `ReqwestClient`: the request passes through untouched, the response comes back
//! whatever its status, and timeouts, body caps and TLS failures are typed errors.
#![allow(clippy::unwrap_used)] // Test helpers may panic: a panic is a failed test.

mod support;

use std::sync::Arc;
use std::time::Duration;

use entra_http::{HttpClient, HttpError, ReqwestClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{body_bytes, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn get(url: String) -> entra_http::Request {
    http::Request::get(url)
        .body(entra_http::Body::empty())
        .unwrap()
}

#[tokio::test]
async fn sends_method_headers_and_body_and_returns_any_status() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tenant/oauth2/v2.0/token"))
        .and(query_param("x", "1"))
        .and(header("client-request-id", "abc"))
        .and(body_bytes(b"a=b&c=d".to_vec()))
        .respond_with(
            ResponseTemplate::new(400)
                .insert_header("x-ms-request-id", "r1")
                .set_body_string("{\"error\":\"invalid_grant\"}"),
        )
        .mount(&server)
        .await;
    let request = http::Request::post(format!("{}/tenant/oauth2/v2.0/token?x=1", server.uri()))
        .header("client-request-id", "abc")
        .body(b"a=b&c=d".to_vec().into())
        .unwrap();

    let response = ReqwestClient::builder()
        .build()
        .unwrap()
        .send(request)
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["x-ms-request-id"], "r1");
    assert_eq!(response.body(), b"{\"error\":\"invalid_grant\"}");
}

#[tokio::test]
async fn a_slow_server_gives_a_timeout_error_naming_the_url_without_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let client = ReqwestClient::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();

    let error = client
        .send(get(format!("{}/slow?user=alice", server.uri())))
        .await
        .unwrap_err();

    assert!(matches!(error, HttpError::Timeout { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        format!("request to {}/slow timed out", server.uri())
    );
}

#[tokio::test]
async fn a_body_over_the_cap_is_a_typed_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 2 * 1024 * 1024]))
        .mount(&server)
        .await;

    let error = ReqwestClient::builder()
        .build()
        .unwrap()
        .send(get(server.uri()))
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            HttpError::BodyTooLarge {
                limit: 1_048_576,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_body_exactly_at_the_cap_is_accepted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 64]))
        .mount(&server)
        .await;
    let client = ReqwestClient::builder()
        .max_response_bytes(64)
        .build()
        .unwrap();

    let response = client.send(get(server.uri())).await.unwrap();

    assert_eq!(response.body().len(), 64);
}

/// A server that streams a chunked body (no Content-Length) far larger than the cap.
async fn endless_chunked_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = [0u8; 4096];
        let _ = socket.read(&mut buffer).await;
        let _ = socket
            .write_all(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            .await;
        let chunk = format!("{:x}\r\n{}\r\n", 8192, "y".repeat(8192));
        // 64 MiB if the client kept reading; it must stop after the cap.
        for _ in 0..8192 {
            if socket.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    format!("http://{address}/stream")
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_at_the_cap_without_reading_it_all() {
    let url = endless_chunked_server().await;
    let client = ReqwestClient::builder()
        .max_response_bytes(100_000)
        .build()
        .unwrap();

    let error = client.send(get(url)).await.unwrap_err();

    assert!(
        matches!(error, HttpError::BodyTooLarge { limit: 100_000, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let (_refusing, port) = support::refused_port();

    let error = ReqwestClient::builder()
        .build()
        .unwrap()
        .send(get(format!("http://127.0.0.1:{port}/")))
        .await
        .unwrap_err();

    assert!(error.is_connect(), "{error:?}");
}

/// A TLS server for `localhost` with a certificate issued by a fresh rcgen CA;
/// returns its URL and the CA's PEM.
async fn tls_server() -> (String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::from_params(&ca_params, &ca_key);
    let server_key = rcgen::KeyPair::generate().unwrap();
    let server_params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();

    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![server_cert.der().clone()],
        rustls_pki_types::PrivateKeyDer::try_from(server_key.serialize_der()).unwrap(),
    )
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else {
                    return;
                };
                let mut buffer = [0u8; 4096];
                let _ = tls.read(&mut buffer).await;
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (format!("https://localhost:{port}/"), ca_cert.pem())
}

#[tokio::test]
async fn a_server_certificate_from_an_extra_root_is_trusted() {
    let (url, ca_pem) = tls_server().await;
    let client = ReqwestClient::builder()
        .add_root_certificates_pem(ca_pem.as_bytes())
        .build()
        .unwrap();

    let response = client.send(get(url)).await.unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.body(), b"ok");
}

#[tokio::test]
async fn an_untrusted_server_certificate_is_a_tls_error() {
    let (url, _ca_pem) = tls_server().await;

    let error = ReqwestClient::builder()
        .build()
        .unwrap()
        .send(get(url))
        .await
        .unwrap_err();

    assert!(matches!(error, HttpError::Tls { .. }), "{error:?}");
    assert!(
        error.to_string().contains("extra root certificate"),
        "{error}"
    );
    // What rustls said is the source, kept as an error and not repeated in the Display.
    let source = std::error::Error::source(&error).expect("the TLS error has a source");
    assert!(source.to_string().contains("UnknownIssuer"), "{source}");
    assert!(!error.to_string().contains("UnknownIssuer"), "{error}");
}

#[test]
fn a_root_pem_without_certificates_is_a_config_error() {
    let error = ReqwestClient::builder()
        .add_root_certificates_pem(b"not a pem")
        .build()
        .unwrap_err();
    assert!(matches!(error, HttpError::Config { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "HTTP client configuration error: root certificate PEM holds no CERTIFICATE block"
    );
}

#[test]
fn a_root_pem_with_a_damaged_certificate_is_a_config_error() {
    let pem = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    let error = ReqwestClient::builder()
        .add_root_certificates_pem(pem)
        .build()
        .unwrap_err();
    assert!(matches!(error, HttpError::Config { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "HTTP client configuration error: root certificate PEM is invalid"
    );
    assert!(std::error::Error::source(&error).is_some(), "{error:?}");
}

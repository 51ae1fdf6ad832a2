//! Helpers shared by the integration tests: an in-process mock-idp and a client.
#![allow(dead_code)]

use mock_idp::default_fixture as d;
use mock_idp::{Config, Fixture, MockIdp};
use serde_json::Value;

pub const SCOPES: &str = "User.Read openid profile offline_access";

pub struct Harness {
    pub idp: MockIdp,
    pub client: reqwest::Client,
}

pub async fn start() -> Harness {
    start_with(Config::new(Fixture::default()).seed(42)).await
}

pub async fn start_with(config: Config) -> Harness {
    let idp = MockIdp::start(config).await.expect("mock-idp starts");
    let client = idp.client().expect("client");
    Harness { idp, client }
}

/// An answer: status, JSON body (Null when not JSON), raw text.
pub struct Answer {
    pub status: u16,
    pub json: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    pub async fn from(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Self {
            status,
            json,
            text,
            headers,
        }
    }

    pub fn code(&self) -> u64 {
        self.json["error_codes"][0].as_u64().unwrap_or(0)
    }

    /// (status, error, first AADSTS code, suberror)
    pub fn outcome(&self) -> (u16, &str, u64, Option<&str>) {
        (
            self.status,
            self.json["error"].as_str().unwrap_or(""),
            self.code(),
            self.json["suberror"].as_str(),
        )
    }
}

impl Harness {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.idp.base_url())
    }

    pub async fn get(&self, path: &str) -> Answer {
        Answer::from(self.client.get(self.url(path)).send().await.expect("GET")).await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let response = self
            .client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .expect("POST");
        Answer::from(response).await
    }

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Answer {
        let response = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST");
        Answer::from(response).await
    }

    /// The password grant with the CLI app at `/organizations`.
    pub async fn password(&self, username: &str, password: &str, scope: &str) -> Answer {
        self.password_at(
            "organizations",
            d::CLI_CLIENT_ID,
            username,
            password,
            scope,
            &[],
        )
        .await
    }

    pub async fn password_at(
        &self,
        tenant: &str,
        client_id: &str,
        username: &str,
        password: &str,
        scope: &str,
        extra: &[(&str, &str)],
    ) -> Answer {
        let mut form = vec![
            ("client_id", client_id),
            ("grant_type", "password"),
            ("client_info", "1"),
            ("username", username),
            ("password", password),
            ("scope", scope),
        ];
        form.extend_from_slice(extra);
        self.post_form(&format!("/{tenant}/oauth2/v2.0/token"), &form)
            .await
    }

    pub async fn refresh(&self, client_id: &str, refresh_token: &str) -> Answer {
        self.post_form(
            "/organizations/oauth2/v2.0/token",
            &[
                ("client_id", client_id),
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
                ("scope", SCOPES),
                ("client_info", "1"),
            ],
        )
        .await
    }
}

/// The claims of a JWT, unverified.
pub fn claims(jwt: &str) -> Value {
    use base64::Engine as _;
    let payload = jwt.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// A client assertion with `claims`, signed by the Contoso Daemon's certificate key and
/// naming it by `x5t#S256` (or by `x5t_s256` when given).
pub fn daemon_assertion(claims: &Value, x5t_s256: Option<&str>) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rustls_pki_types::pem::PemObject;
    let key = rustls_pki_types::PrivatePkcs8KeyDer::from_pem_slice(d::DAEMON_KEY_PEM.as_bytes())
        .expect("test key");
    let pair = ring::signature::RsaKeyPair::from_pkcs8(key.secret_pkcs8_der()).expect("test key");
    let cert = rustls_pki_types::CertificateDer::from_pem_slice(d::DAEMON_CERT_PEM.as_bytes())
        .expect("test key");
    let thumb = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, &cert));
    let header =
        serde_json::json!({"alg": "RS256", "typ": "JWT", "x5t#S256": x5t_s256.unwrap_or(&thumb)});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        input.as_bytes(),
        &mut signature,
    )
    .expect("test key");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

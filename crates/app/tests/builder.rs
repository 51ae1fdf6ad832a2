//! The builder: setters record, `build()` checks everything and names the setter at
//! fault. One row per misconfiguration, each with a snapshot of the error it gives.

use std::error::Error as _;
use std::sync::Arc;

use entra_auth::SecretString;
use entra_auth::{AuthError, ConfidentialClientApplication, PublicClientApplication};
use entra_http::ReqwestClient;

const CLIENT_ID: &str = "00001111-aaaa-2222-bbbb-3333cccc4444";
const LOOPBACK: &str = "http://127.0.0.1:9/organizations";
const CERT_PEM: &[u8] = include_bytes!("data/client-cert.pem");
const KEY_PEM: &str = include_str!("data/client-key.pem");
/// The private key text of the unusable certificate row: never in an error.
const BAD_KEY: &str = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n";

fn transport() -> Arc<ReqwestClient> {
    Arc::new(
        ReqwestClient::builder()
            .build()
            .expect("the reqwest client builds"),
    )
}

/// A misconfiguration: what the builder is given, and the setter `build()` blames.
struct Misconfiguration {
    name: &'static str,
    field: &'static str,
    build: fn() -> Result<(), AuthError>,
}

const MISCONFIGURATIONS: &[Misconfiguration] = &[
    Misconfiguration {
        name: "empty_client_id",
        field: "client_id",
        build: || PublicClientApplication::builder("  ").build().map(drop),
    },
    Misconfiguration {
        name: "unparsable_authority",
        field: "authority",
        build: || {
            PublicClientApplication::builder(CLIENT_ID)
                .authority("login.microsoftonline.com organizations")
                .build()
                .map(drop)
        },
    },
    Misconfiguration {
        name: "http_authority_without_the_loopback_flag",
        field: "authority",
        build: || {
            PublicClientApplication::builder(CLIENT_ID)
                .authority(LOOPBACK)
                .build()
                .map(drop)
        },
    },
    Misconfiguration {
        name: "http_authority_with_the_flag_turned_off_afterwards",
        field: "authority",
        build: || {
            PublicClientApplication::builder(CLIENT_ID)
                .allow_insecure_loopback_authority(true)
                .authority(LOOPBACK)
                .allow_insecure_loopback_authority(false)
                .build()
                .map(drop)
        },
    },
    Misconfiguration {
        name: "unusable_certificate_pem",
        field: "client_certificate",
        build: || {
            ConfidentialClientApplication::builder(CLIENT_ID)
                .client_certificate(
                    b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
                    &SecretString::from(BAD_KEY),
                )
                .build()
                .map(drop)
        },
    },
    Misconfiguration {
        name: "confidential_without_credential",
        field: "credential",
        build: || {
            ConfidentialClientApplication::builder(CLIENT_ID)
                .build()
                .map(drop)
        },
    },
    Misconfiguration {
        name: "secret_and_certificate",
        field: "client_secret",
        build: || {
            ConfidentialClientApplication::builder(CLIENT_ID)
                .client_certificate(CERT_PEM, &SecretString::from(KEY_PEM))
                .client_secret(SecretString::from("a secret"))
                .build()
                .map(drop)
        },
    },
    Misconfiguration {
        name: "http_client_and_extra_root_certificates",
        field: "extra_root_certificates_pem",
        build: || {
            PublicClientApplication::builder(CLIENT_ID)
                .extra_root_certificates_pem(CERT_PEM)
                .http_client(transport())
                .build()
                .map(drop)
        },
    },
];

/// The error's Display, then each cause on its own line.
fn report(error: &AuthError) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        text.push_str(&format!("\ncaused by: {error}"));
        cause = error.source();
    }
    text
}

#[test]
fn each_misconfiguration_is_refused_by_build_naming_its_setter() {
    for row in MISCONFIGURATIONS {
        let error = (row.build)().expect_err(row.name);

        let AuthError::Configuration { field, .. } = &error else {
            panic!("{}: not a configuration error: {error:?}", row.name);
        };
        assert_eq!(*field, row.field, "{}", row.name);
        let text = report(&error);
        assert!(
            !format!("{text}{error:?}").contains("nope"),
            "{}: a key leaked: {text}",
            row.name
        );
        insta::assert_snapshot!(row.name, text);
    }
}

#[test]
fn a_cause_is_in_the_source_chain_not_in_the_display() {
    let error = PublicClientApplication::builder(CLIENT_ID)
        .authority(LOOPBACK)
        .build()
        .expect_err("http is refused without the flag");

    let cause = error.source().expect("the parse error is kept").to_string();
    assert!(!error.to_string().contains(&cause), "{error}");
}

#[test]
fn the_loopback_flag_works_before_and_after_the_authority() {
    let before = PublicClientApplication::builder(CLIENT_ID)
        .allow_insecure_loopback_authority(true)
        .authority(LOOPBACK)
        .build();
    let after = PublicClientApplication::builder(CLIENT_ID)
        .authority(LOOPBACK)
        .allow_insecure_loopback_authority(true)
        .build();

    assert!(before.is_ok(), "{:?}", before.err());
    assert!(after.is_ok(), "{:?}", after.err());
}

#[test]
fn a_confidential_client_builds_with_either_credential_in_any_order() {
    let certificate = ConfidentialClientApplication::builder(CLIENT_ID)
        .client_certificate(CERT_PEM, &SecretString::from(KEY_PEM))
        .authority("https://login.microsoftonline.com/contoso.onmicrosoft.com")
        .build();
    let secret = ConfidentialClientApplication::builder(CLIENT_ID)
        .client_secret(SecretString::from("a secret"))
        .build();

    assert!(certificate.is_ok(), "{:?}", certificate.err());
    assert!(secret.is_ok(), "{:?}", secret.err());
}

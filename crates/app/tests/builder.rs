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

#[test]
fn the_authority_kind_is_detected_from_the_url_or_declared_by_the_setter() {
    use entra_auth::AuthorityKind;
    let kind = |builder: entra_auth::PublicClientApplicationBuilder| {
        let app = builder.build().expect("the application builds");
        app.authority().kind().name()
    };
    let public = || PublicClientApplication::builder(CLIENT_ID);
    let rows = [
        (
            kind(public().authority("https://login.microsoftonline.us/contoso.com")),
            "Entra ID",
        ),
        (
            kind(public().authority(
                "https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth",
            )),
            "B2C",
        ),
        (
            kind(public().authority("https://contosociam.ciamlogin.com")),
            "External ID",
        ),
        (
            kind(public().authority("https://fs.contoso.com/adfs")),
            "ADFS",
        ),
        (
            kind(public().b2c_authority(
                "https://login.contoso.com/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth",
            )),
            "B2C",
        ),
        (
            kind(public().oidc_authority("https://idp.contoso.com/realms/staff")),
            "OpenID Connect",
        ),
        // The last authority setter wins, kind and all.
        (
            kind(
                public()
                    .oidc_authority("https://idp.contoso.com")
                    .authority("https://login.microsoftonline.com/organizations"),
            ),
            "Entra ID",
        ),
    ];
    for (got, expected) in rows {
        assert_eq!(got, expected);
    }
    let b2c = public()
        .authority("https://contosob2c.b2clogin.com/tfp/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth")
        .build()
        .expect("builds");
    assert!(
        matches!(b2c.authority().kind(), AuthorityKind::B2c { policy, .. } if policy == "B2C_1_ROPC_Auth")
    );
}

#[test]
fn what_a_setter_cannot_parse_is_blamed_on_that_setter() {
    let custom_domain_without_the_b2c_setter = PublicClientApplication::builder(CLIENT_ID)
        .authority("https://login.contoso.com/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth")
        .build()
        .expect_err("a custom domain is not detected as B2C");
    let b2c_without_policy = PublicClientApplication::builder(CLIENT_ID)
        .b2c_authority("https://login.contoso.com/contosob2c.onmicrosoft.com")
        .build()
        .expect_err("a B2C authority names its policy");
    let oidc_over_http = PublicClientApplication::builder(CLIENT_ID)
        .oidc_authority("http://idp.contoso.com")
        .build()
        .expect_err("an issuer is https");
    let blank_known_authority = PublicClientApplication::builder(CLIENT_ID)
        .known_authorities(["fs.contoso.com", " "])
        .build()
        .expect_err("an empty entry trusts nothing and is a mistake");

    for (error, expected) in [
        (&custom_domain_without_the_b2c_setter, "authority"),
        (&b2c_without_policy, "b2c_authority"),
        (&oidc_over_http, "oidc_authority"),
        (&blank_known_authority, "known_authorities"),
    ] {
        let AuthError::Configuration { field, .. } = error else {
            panic!("not a configuration error: {error:?}");
        };
        assert_eq!(*field, expected, "{}", report(error));
    }
    assert!(
        report(&custom_domain_without_the_b2c_setter).contains("parse_b2c"),
        "{}",
        report(&custom_domain_without_the_b2c_setter)
    );
}

#[test]
fn known_authorities_and_validate_authority_are_accepted_in_any_order() {
    let app = PublicClientApplication::builder(CLIENT_ID)
        .validate_authority(false)
        .authority("https://fs.contoso.com/adfs")
        .known_authorities(["fs.contoso.com", "https://login.contoso.com"])
        .build();

    assert!(app.is_ok(), "{:?}", app.err());
}

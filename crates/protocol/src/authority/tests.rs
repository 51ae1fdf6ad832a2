//! Parsing table and endpoints of every authority kind.

use super::*;

fn parse(s: &str) -> Authority {
    Authority::parse(s).unwrap()
}

#[test]
fn tenant_kinds_are_recognised() {
    let cases = [
        (
            "https://login.microsoftonline.com/organizations",
            Tenant::Organizations,
        ),
        ("https://login.microsoftonline.com/Common/", Tenant::Common),
        (
            "https://login.microsoftonline.com/consumers",
            Tenant::Consumers,
        ),
        (
            "https://login.microsoftonline.com/AAAABBBB-0000-CCCC-1111-DDDD2222EEEE",
            Tenant::Id("aaaabbbb-0000-cccc-1111-dddd2222eeee".into()),
        ),
        (
            "https://login.microsoftonline.com/contoso.onmicrosoft.com",
            Tenant::Domain("contoso.onmicrosoft.com".into()),
        ),
        ("https://fs.contoso.com/adfs", Tenant::Adfs),
    ];
    for (url, tenant) in cases {
        assert_eq!(parse(url).tenant(), &tenant, "{url}");
    }
    assert!(parse("https://fs.contoso.com/adfs/").is_adfs());
}

#[test]
fn endpoints_keep_the_port() {
    let a = parse("https://localhost:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee");
    assert_eq!(a.host(), "localhost");
    assert_eq!(a.port(), Some(8443));
    assert_eq!(a.host_with_port(), "localhost:8443");
    assert_eq!(
        a.token_endpoint(),
        "https://localhost:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/oauth2/v2.0/token"
    );
    assert_eq!(
        a.openid_configuration_url(),
        "https://localhost:8443/aaaabbbb-0000-cccc-1111-dddd2222eeee/v2.0/.well-known/openid-configuration"
    );
    assert_eq!(
        a.user_realm_url("alice@contoso.com"),
        "https://localhost:8443/common/userrealm/alice@contoso.com?api-version=1.0"
    );
    let adfs = parse("https://fs.contoso.com/adfs");
    assert_eq!(
        adfs.token_endpoint(),
        "https://fs.contoso.com/adfs/oauth2/token"
    );
    assert_eq!(
        adfs.openid_configuration_url(),
        "https://fs.contoso.com/adfs/.well-known/openid-configuration"
    );
}

#[test]
fn plain_http_only_for_opted_in_loopback() {
    let opt_in = AuthorityOptions {
        allow_insecure_loopback: true,
    };
    for url in [
        "http://localhost:8080/organizations",
        "http://127.0.0.1:9/organizations",
        "http://[::1]:9/common",
    ] {
        let a = Authority::parse_with(url, opt_in).unwrap();
        assert!(a.token_endpoint().starts_with("http://"));
        assert!(Authority::parse(url).is_err(), "{url} without opt-in");
    }
    let err = Authority::parse_with("http://login.microsoftonline.com/organizations", opt_in)
        .unwrap_err();
    insta::assert_snapshot!(err, @r#"invalid authority "http://login.microsoftonline.com/organizations": plain http is refused; use https"#);
}

#[test]
fn malformed_authorities_are_refused_with_a_reason() {
    let errors: Vec<String> = [
        "login.microsoftonline.com/organizations",
        "https://login.microsoftonline.com",
        "https://login.microsoftonline.com/tfp/contoso/b2c_1_ropc",
        "https://login.microsoftonline.com/organizations?x=1",
        "https://login.microsoftonline.com/not_a_tenant",
        "https://user:pw@login.microsoftonline.com/organizations",
        "ftp://login.microsoftonline.com/organizations",
    ]
    .iter()
    .map(|u| Authority::parse(u).unwrap_err().to_string())
    .collect();
    insta::assert_snapshot!(errors.join("\n"));
}

#[test]
fn password_grant_refuses_consumers_and_rewrites_common() {
    let err = parse("https://login.microsoftonline.com/consumers")
        .for_password_grant()
        .unwrap_err();
    assert!(matches!(err, ProtocolError::ConsumersTenantNotSupported));
    let a = parse("https://login.microsoftonline.com/common")
        .for_password_grant()
        .unwrap();
    assert_eq!(a.url(), "https://login.microsoftonline.com/organizations");
    let t = parse("https://login.microsoftonline.com/contoso.com")
        .for_password_grant()
        .unwrap();
    assert_eq!(t.tenant().as_str(), "contoso.com");
}

#[test]
fn known_clouds_and_aliases() {
    let a = parse("https://LOGIN.WINDOWS.NET/organizations");
    let cloud = a.cloud().unwrap();
    assert_eq!(cloud.preferred_network, "login.microsoftonline.com");
    assert!(cloud.aliases.contains(&"sts.windows.net"));
    assert_eq!(
        known_cloud("login.chinacloudapi.cn")
            .unwrap()
            .preferred_network,
        "login.partner.microsoftonline.cn"
    );
    assert_eq!(
        known_cloud("login.usgovcloudapi.net")
            .unwrap()
            .preferred_network,
        "login.microsoftonline.us"
    );
    assert!(known_cloud("login-us.microsoftonline.com").is_some());
    assert!(known_cloud("localhost").is_none());
}

#[test]
fn every_kind_is_parsed_from_its_url() {
    let guid = "aaaabbbb-0000-cccc-1111-dddd2222eeee";
    let b2c = |tenant: &str, policy: &str| AuthorityKind::B2c {
        tenant: Tenant::Domain(tenant.into()),
        policy: policy.into(),
    };
    let table = [
        (
            "https://login.microsoftonline.us/contoso.com".to_owned(),
            AuthorityKind::Entra {
                tenant: Tenant::Domain("contoso.com".into()),
            },
        ),
        (
            format!("https://login.partner.microsoftonline.cn/{guid}"),
            AuthorityKind::Entra {
                tenant: Tenant::Id(guid.into()),
            },
        ),
        (
            "https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth".to_owned(),
            b2c("contosob2c.onmicrosoft.com", "B2C_1_ROPC_Auth"),
        ),
        (
            "https://contosob2c.b2clogin.com/TFP/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth/"
                .to_owned(),
            b2c("contosob2c.onmicrosoft.com", "B2C_1_ROPC_Auth"),
        ),
        (
            format!("https://contosob2c.b2clogin.com/{guid}/B2C_1A_signin"),
            AuthorityKind::B2c {
                tenant: Tenant::Id(guid.into()),
                policy: "B2C_1A_signin".into(),
            },
        ),
        (
            "https://Contoso.ciamlogin.com/".to_owned(),
            AuthorityKind::Ciam {
                tenant: Tenant::Domain("contoso.onmicrosoft.com".into()),
            },
        ),
        (
            format!("https://contoso.ciamlogin.com/{guid}"),
            AuthorityKind::Ciam {
                tenant: Tenant::Id(guid.into()),
            },
        ),
        (
            "https://fs.contoso.com/ADFS".to_owned(),
            AuthorityKind::Adfs,
        ),
    ];
    for (url, kind) in table {
        assert_eq!(parse(&url).kind(), &kind, "{url}");
    }
    let custom =
        Authority::parse_b2c("https://login.contoso.com/contoso.onmicrosoft.com/B2C_1_ROPC_Auth")
            .unwrap();
    assert_eq!(
        custom.kind(),
        &b2c("contoso.onmicrosoft.com", "B2C_1_ROPC_Auth")
    );
    let oidc = Authority::parse_oidc("https://idp.example.com/Tenant/v2.0/").unwrap();
    assert_eq!(
        oidc.kind(),
        &AuthorityKind::Oidc {
            tenant: Tenant::Other("Tenant".into())
        }
    );
    assert_eq!(oidc.url(), "https://idp.example.com/Tenant/v2.0");
    assert_eq!(oidc.cache_realm(), None);
    let bare = Authority::parse_oidc("https://idp.example.com").unwrap();
    assert_eq!(bare.url(), "https://idp.example.com");
    assert_eq!(bare.tenant(), &Tenant::Other(String::new()));
}

#[test]
fn endpoints_of_every_kind() {
    let authorities = [
        parse("https://login.microsoftonline.com/common"),
        parse("https://login.microsoftonline.us/contoso.com"),
        parse("https://localhost:8443/organizations"),
        parse("https://contosob2c.b2clogin.com/tfp/contosob2c.onmicrosoft.com/B2C_1_ROPC_Auth"),
        Authority::parse_b2c("https://login.contoso.com/contoso.onmicrosoft.com/B2C_1_ROPC_Auth")
            .unwrap(),
        parse("https://contoso.ciamlogin.com"),
        parse("https://contoso.ciamlogin.com/aaaabbbb-0000-cccc-1111-dddd2222eeee"),
        parse("https://fs.contoso.com/adfs"),
        Authority::parse_oidc("https://idp.example.com/tenant").unwrap(),
    ];
    let shown: Vec<String> = authorities
        .iter()
        .map(|a| {
            format!(
                "{}: {}\n  token: {}\n  authorize: {}\n  openid-configuration: {}\n  \
                 user realm discovery / WS-Trust: {} / {}\n  endpoints from the OpenID \
                 configuration: {}\n  cache environment: {}, realm: {:?}",
                a.kind().name(),
                a.url(),
                a.token_endpoint(),
                a.authorization_endpoint(),
                a.openid_configuration_url(),
                a.uses_user_realm_discovery(),
                a.uses_ws_trust(),
                a.needs_openid_configuration(),
                a.host(),
                a.cache_realm(),
            )
        })
        .collect();
    insta::assert_snapshot!(shown.join("\n"));
}

#[test]
fn bad_authorities_of_every_kind_name_what_is_wrong() {
    let errors: Vec<String> = [
        "https://login.microsoftonline.de/contoso.com",
        "https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com",
        "https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_ROPC/extra",
        "https://contosob2c.b2clogin.com/organizations/B2C_1_ROPC",
        "https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C%201",
        "https://contosob2c.b2clogin.com/tfp/contosob2c.onmicrosoft.com",
        "https://login.contoso.com/contoso.onmicrosoft.com/B2C_1_ROPC_Auth",
        "https://login.contoso.com/contoso.onmicrosoft.com/policy",
        "https://contoso.ciamlogin.com/common",
        "https://contoso.ciamlogin.com/contoso.onmicrosoft.com/extra",
        "https://fs.contoso.com/adfs/oauth2",
        "http://contoso.ciamlogin.com",
    ]
    .iter()
    .map(|u| Authority::parse(u).unwrap_err().to_string())
    .chain(
        [
            "https://login.contoso.com/contoso.onmicrosoft.com",
            "https://login.contoso.com/common/B2C_1_x",
        ]
        .iter()
        .map(|u| Authority::parse_b2c(u).unwrap_err().to_string()),
    )
    .chain(
        [
            "https://idp.example.com/t?x=1",
            "http://idp.example.com",
            "https://login.microsoftonline.de/t",
        ]
        .iter()
        .map(|u| Authority::parse_oidc(u).unwrap_err().to_string()),
    )
    .collect();
    insta::assert_snapshot!(errors.join("\n"));
}

#[test]
fn a_tenant_per_request_for_entra_and_external_id_only() {
    let a = parse("https://login.microsoftonline.com/organizations");
    let t = a
        .for_tenant("AAAABBBB-0000-CCCC-1111-DDDD2222EEEE")
        .unwrap();
    assert_eq!(
        t.token_endpoint(),
        "https://login.microsoftonline.com/aaaabbbb-0000-cccc-1111-dddd2222eeee/oauth2/v2.0/token"
    );
    let ciam = parse("https://contoso.ciamlogin.com")
        .for_tenant("contoso.com")
        .unwrap();
    assert_eq!(ciam.url(), "https://contoso.ciamlogin.com/contoso.com");
    let errors: Vec<String> = [
        a.for_tenant("adfs").unwrap_err(),
        a.for_tenant("not a tenant").unwrap_err(),
        parse("https://contoso.ciamlogin.com")
            .for_tenant("organizations")
            .unwrap_err(),
        parse("https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_x")
            .for_tenant("fabrikam.com")
            .unwrap_err(),
        parse("https://fs.contoso.com/adfs")
            .for_tenant("contoso.com")
            .unwrap_err(),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    insta::assert_snapshot!(errors.join("\n"));
}

#[test]
fn password_grant_keeps_other_kinds() {
    for url in [
        "https://contosob2c.b2clogin.com/contosob2c.onmicrosoft.com/B2C_1_x",
        "https://contoso.ciamlogin.com",
        "https://fs.contoso.com/adfs",
    ] {
        let a = parse(url);
        assert_eq!(a.for_password_grant().unwrap(), a, "{url}");
    }
}

proptest::proptest! {
    #[test]
    fn no_string_panics_any_constructor(s in "\\PC*") {
        for parsed in [Authority::parse(&s), Authority::parse_b2c(&s), Authority::parse_oidc(&s)] {
            match parsed {
                // What parses parses again to the same authority.
                Ok(a) => proptest::prop_assert_eq!(Authority::parse_oidc(&a.url()).ok().map(|o| o.url()), Some(a.url())),
                Err(e) => proptest::prop_assert!(!e.to_string().is_empty()),
            }
        }
    }

    #[test]
    fn no_path_panics_on_known_hosts(
        host in proptest::sample::select(vec![
            "login.microsoftonline.com", "x.b2clogin.com", "x.ciamlogin.com", "fs.contoso.com",
            "login.microsoftonline.de", "localhost:8443",
        ]),
        path in "(/[a-zA-Z0-9_.%-]{0,12}){0,4}/?",
    ) {
        let url = format!("https://{host}{path}");
        let parsed = [Authority::parse(&url), Authority::parse_b2c(&url), Authority::parse_oidc(&url)];
        for a in parsed.into_iter().flatten() {
            let _ = (a.token_endpoint(), a.openid_configuration_url(), a.cache_realm());
            let _ = a.issuer_is_valid(&url);
            let _ = a.for_tenant("contoso.com");
            proptest::prop_assert!(a.url().starts_with("https://"));
        }
    }
}

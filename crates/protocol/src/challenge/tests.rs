use super::*;

/// Continuous access evaluation's challenge, as Microsoft Graph sends it.
const CAE: &str = r#"Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000", error="insufficient_claims", claims="eyJhY2Nlc3NfdG9rZW4iOnsibmJmIjp7ImVzc2VudGlhbCI6dHJ1ZSwgInZhbHVlIjoiMTYwNDEwNjY1MSJ9fX0=""#;

/// Azure Resource Manager refusing a write without MFA (authentication context `p1`).
const ARM_MFA: &str = r#"Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="invalid_token", error_description="User interaction is required for this operation", claims="eyJhY2Nlc3NfdG9rZW4iOnsiYWNycyI6eyJlc3NlbnRpYWwiOnRydWUsInZhbHVlcyI6WyJwMSJdfX19""#;

fn claims_of(header: &str) -> ClaimsChallenge {
    ClaimsChallenge::from_header_values([header])
        .unwrap()
        .expect("a claims challenge")
}

#[test]
fn a_cae_challenge_is_decoded_and_met_by_a_silent_retry() {
    let challenge = claims_of(CAE);
    assert_eq!(
        challenge.claims(),
        r#"{"access_token":{"nbf":{"essential":true, "value":"1604106651"}}}"#
    );
    assert_eq!(challenge.error(), Some("insufficient_claims"));
    assert_eq!(challenge.next_step(), NextStep::RetrySilently);
}

#[test]
fn an_authentication_context_challenge_needs_an_interactive_sign_in() {
    let challenge = claims_of(ARM_MFA);
    assert_eq!(challenge.error(), Some("invalid_token"));
    assert_eq!(
        challenge.error_description(),
        Some("User interaction is required for this operation")
    );
    assert_eq!(
        challenge.next_step(),
        NextStep::Interactive(InteractiveRequirement::AuthenticationContext {
            values: vec!["p1".into()]
        })
    );
}

#[test]
fn what_each_requirement_says_to_do() {
    let messages: Vec<String> = [
        InteractiveRequirement::AuthenticationContext {
            values: vec!["p1".into()],
        },
        InteractiveRequirement::MultiFactor,
        InteractiveRequirement::ConditionalAccess {
            policy_ids: vec!["8bf3a3c1-0000-0000-0000-000000000001".into()],
        },
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    insta::assert_snapshot!(messages.join("\n\n"));
}

#[test]
fn several_challenges_in_one_header_with_quoted_commas_and_escapes() {
    let header = r#"Basic realm="a, \"b\", c", Bearer realm="", error="insufficient_claims", claims="e30=", Negotiate abc+/==, PoP nonce=xyz"#;
    let challenges = parse_www_authenticate(header).unwrap();
    let schemes: Vec<&str> = challenges.iter().map(Challenge::scheme).collect();
    assert_eq!(schemes, ["Basic", "Bearer", "Negotiate", "PoP"]);
    assert_eq!(challenges[0].param("realm"), Some(r#"a, "b", c"#));
    assert_eq!(challenges[1].param("REALM"), Some(""));
    assert_eq!(challenges[1].params().len(), 3);
    assert_eq!(challenges[2].token68(), Some("abc+/=="));
    assert_eq!(challenges[3].param("nonce"), Some("xyz"));
    assert_eq!(claims_of(header).claims(), "{}");
}

#[test]
fn repeated_header_values_are_one_list() {
    let challenges =
        parse_www_authenticate_values([r#"Basic realm="x""#.as_bytes(), CAE.as_bytes()]).unwrap();
    assert_eq!(challenges.len(), 2);
    assert!(
        ClaimsChallenge::from_challenges(&challenges)
            .unwrap()
            .is_some()
    );
}

#[test]
fn the_scheme_and_parameter_names_are_case_insensitive_and_spacing_is_optional() {
    let header = r#"bearer  ERROR = "insufficient_claims" ,CLAIMS="eyJhY2Nlc3NfdG9rZW4iOnt9fQ""#;
    let challenge = claims_of(header);
    assert_eq!(challenge.claims(), r#"{"access_token":{}}"#);
    assert_eq!(challenge.error(), Some("insufficient_claims"));
}

#[test]
fn claims_may_come_as_url_safe_base64_or_as_json() {
    // `{"access_token":{"xms_cc":{"values":["cp1"]}}}~` makes `-`/`_` in URL-safe form.
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"{"id_token":{"amr":{"values":["mfa"]}}, "x":"??>>"}"#);
    assert!(url_safe.contains(['-', '_']), "{url_safe}");
    let challenge = claims_of(&format!(r#"Bearer claims="{url_safe}""#));
    assert_eq!(
        challenge.next_step(),
        NextStep::Interactive(InteractiveRequirement::MultiFactor)
    );
    let raw =
        claims_of(r#"Bearer claims="{\"access_token\":{\"capolids\":{\"values\":[\"x\"]}}}""#);
    assert_eq!(
        raw.next_step(),
        NextStep::Interactive(InteractiveRequirement::ConditionalAccess {
            policy_ids: vec!["x".into()]
        })
    );
}

#[test]
fn no_claims_challenge_without_a_bearer_claims_parameter() {
    for header in [
        "",
        "Basic realm=\"x\"",
        r#"Bearer realm="", error="invalid_token""#,
        r#"Basic claims="e30=""#,
    ] {
        assert_eq!(
            ClaimsChallenge::from_header_values([header]).unwrap(),
            None,
            "{header}"
        );
    }
}

#[test]
fn malformed_headers_and_claims_are_typed_errors() {
    let cases: &[(&str, &str)] = &[
        (r#"Bearer realm="open"#, "a closing quote"),
        ("Bearer realm=\"x\\", "a character after the backslash"),
        ("=abc", "an authentication scheme"),
        ("Bearer\"x\"", "a space after the scheme"),
        (r#"Bearer a="1" b="2""#, "a comma between parameters"),
        ("Negotiate abc== def", "a comma after the token68 value"),
    ];
    for (header, expected) in cases {
        match parse_www_authenticate(header) {
            Err(ChallengeError::Syntax { expected: e, .. }) => assert_eq!(&e, expected, "{header}"),
            other => panic!("{header}: {other:?}"),
        }
    }
    for (claims, reason) in [
        ("", "the claims parameter is empty"),
        ("not*base64", "the claims parameter is not base64"),
        ("/w==", "the decoded claims are not UTF-8 text"),
        ("WzFd", "the claims are not a JSON object"),
        ("{oops", "the claims are not JSON"),
    ] {
        assert_eq!(
            ClaimsChallenge::from_header_values([format!(r#"Bearer claims="{claims}""#)]),
            Err(ChallengeError::InvalidClaims { reason }),
            "{claims}"
        );
    }
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let long = format!("Bearer realm=\"{}\"", "a".repeat(MAX_HEADER_LEN));
    assert!(matches!(
        parse_www_authenticate(&long),
        Err(ChallengeError::TooLong { .. })
    ));
    let half = "a".repeat(MAX_HEADER_LEN / 2 + 1);
    assert!(matches!(
        parse_www_authenticate_values([half.as_bytes(), half.as_bytes()]),
        Err(ChallengeError::TooLong { .. })
    ));
    let many = vec!["Basic"; MAX_CHALLENGES + 1].join(", ");
    assert_eq!(
        parse_www_authenticate(&many),
        Err(ChallengeError::TooManyChallenges {
            limit: MAX_CHALLENGES
        })
    );
    assert_eq!(
        parse_www_authenticate_values([b"Bearer realm=\"\xff\"".as_slice()]),
        Err(ChallengeError::NotText)
    );
}

#[test]
fn deeply_nested_claims_are_refused_not_overflowed() {
    let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
    let header = format!(r#"Bearer claims="{{\"a\":{deep}}}""#);
    assert!(matches!(
        ClaimsChallenge::from_header_values([header]),
        Err(ChallengeError::InvalidClaims { .. })
    ));
    assert_eq!(unsatisfiable_claim(&deep), None);
}

/// A challenge written back as a header, every value quoted and escaped.
fn render(challenges: &[(String, Vec<(String, String)>)]) -> String {
    challenges
        .iter()
        .map(|(scheme, params)| {
            let params: Vec<String> = params
                .iter()
                .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
                .collect();
            if params.is_empty() {
                scheme.clone()
            } else {
                format!("{scheme} {}", params.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

proptest::proptest! {
    #[test]
    fn no_input_panics(header in ".{0,300}") {
        let _ = parse_www_authenticate(&header);
        let _ = ClaimsChallenge::from_header_values([header.as_bytes()]);
        let _ = unsatisfiable_claim(&header);
    }

    #[test]
    fn header_like_input_never_panics(header in r#"[A-Za-z ,=\"\\\t{}:+/_.-]{0,200}"#) {
        if let Ok(Some(challenge)) = ClaimsChallenge::from_header_values([header.as_bytes()]) {
            let _ = challenge.next_step();
        }
    }

    #[test]
    fn rendered_challenges_parse_back(
        challenges in proptest::collection::vec(
            (
                "[A-Za-z][A-Za-z0-9_-]{0,8}",
                proptest::collection::vec(("[a-z][a-z0-9_]{0,8}", r#"[ -~]{0,20}"#), 0..4),
            ),
            1..5,
        )
    ) {
        let parsed = parse_www_authenticate(&render(&challenges)).unwrap();
        let back: Vec<(String, Vec<(String, String)>)> = parsed
            .iter()
            .map(|c| (c.scheme().to_owned(), c.params().to_vec()))
            .collect();
        proptest::prop_assert_eq!(back, challenges);
    }
}

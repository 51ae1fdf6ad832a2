use std::time::{Duration, UNIX_EPOCH};

use super::*;
use crate::test_support::json_response;

/// An Entra error body as the server writes it.
fn entra(
    status: u16,
    error: &str,
    code: u32,
    suberror: Option<&str>,
    message: &str,
) -> http::Response<Vec<u8>> {
    let mut body = serde_json::json!({
        "error": error,
        "error_description": format!("AADSTS{code}: {message}\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2024-05-01 10:00:00Z"),
        "error_codes": [code],
        "timestamp": "2024-05-01 10:00:00Z",
        "trace_id": "0000aaaa-11bb-cccc-dd22-eeeeee333333",
        "correlation_id": "aaaa0000-bb11-2222-33cc-444444dddddd",
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    });
    if let Some(s) = suberror {
        body["suberror"] = s.into();
        body["claims"] = r#"{"access_token":{"capolids":{"essential":true,"values":["00000000-0000-0000-0000-000000000001"]}}}"#.into();
    }
    json_response(status, &body.to_string())
}

fn class(r: &http::Response<Vec<u8>>) -> ErrorClass {
    parse_error_response(r).unwrap().classify()
}

#[test]
fn every_fixture_row_classifies() {
    use ErrorClass as C;
    let rows = [
        (
            entra(
                400,
                "invalid_grant",
                50076,
                Some("basic_action"),
                "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.",
            ),
            C::MfaRequired,
        ),
        (
            entra(
                400,
                "interaction_required",
                50079,
                None,
                "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication.",
            ),
            C::MfaEnrollmentRequired,
        ),
        (
            entra(
                400,
                "invalid_grant",
                50079,
                Some("basic_action"),
                "you must enroll in multi-factor authentication.",
            ),
            C::MfaEnrollmentRequired,
        ),
        (
            entra(
                400,
                "invalid_grant",
                50158,
                None,
                "External security challenge not satisfied.",
            ),
            C::MfaRequired,
        ),
        (
            entra(
                400,
                "invalid_grant",
                65001,
                Some("consent_required"),
                "The user or administrator has not consented to use the application with ID '00001111-aaaa-2222-bbbb-3333cccc4444' named 'Contoso CLI'. Send an interactive authorization request for this user and resource.",
            ),
            C::ConsentRequired { admin: false },
        ),
        (
            entra(
                400,
                "invalid_grant",
                65001,
                Some("consent_required"),
                "The user or administrator has not consented to use the application. Need admin approval: the application requires admin consent for User.ReadWrite.All.",
            ),
            C::ConsentRequired { admin: true },
        ),
        (
            entra(
                400,
                "invalid_grant",
                90094,
                None,
                "The grant requires admin permission.",
            ),
            C::ConsentRequired { admin: true },
        ),
        (
            entra(
                400,
                "invalid_grant",
                50055,
                Some("user_password_expired"),
                "The password is expired.",
            ),
            C::PasswordExpired,
        ),
        (
            entra(
                400,
                "invalid_grant",
                50053,
                None,
                "The account is locked, you've tried to sign in too many times with an incorrect user ID or password.",
            ),
            C::AccountLocked,
        ),
        (
            entra(
                400,
                "invalid_grant",
                50057,
                None,
                "The user account is disabled.",
            ),
            C::AccountDisabled,
        ),
        (
            entra(
                400,
                "invalid_grant",
                53003,
                Some("message_only"),
                "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
            ),
            C::ConditionalAccessBlocked,
        ),
        (
            entra(
                400,
                "interaction_required",
                53003,
                None,
                "Access has been blocked by Conditional Access policies.",
            ),
            C::ConditionalAccessBlocked,
        ),
        (
            entra(
                400,
                "invalid_grant",
                53000,
                None,
                "Device is not in required device state: compliant.",
            ),
            C::ConditionalAccessBlocked,
        ),
        (
            entra(
                400,
                "invalid_grant",
                50126,
                None,
                "Error validating credentials due to invalid username or password.",
            ),
            C::InvalidCredentials,
        ),
        (
            entra(
                400,
                "invalid_grant",
                50034,
                None,
                "The user account {EUII Hidden} does not exist in the aaaabbbb-0000-cccc-1111-dddd2222eeee directory.",
            ),
            C::UserNotFound,
        ),
        (
            entra(
                401,
                "invalid_client",
                7000218,
                None,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            ),
            C::PublicClientFlowsNotAllowed,
        ),
        (
            entra(
                400,
                "unauthorized_client",
                700016,
                None,
                "Application with identifier '99999999-0000-0000-0000-000000000000' was not found in the directory 'Contoso'.",
            ),
            C::ApplicationNotFound,
        ),
        (
            entra(
                401,
                "invalid_client",
                7000215,
                None,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
            ),
            C::InvalidClientSecret,
        ),
        (
            entra(
                400,
                "invalid_scope",
                70011,
                None,
                "The provided value for the input parameter 'scope' isn't valid.",
            ),
            C::InvalidScope,
        ),
        (
            entra(
                400,
                "invalid_grant",
                700082,
                None,
                "The refresh token has expired due to inactivity.",
            ),
            C::RefreshTokenExpired,
        ),
        (
            entra(
                400,
                "invalid_grant",
                50173,
                None,
                "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
            ),
            C::RefreshTokenExpired,
        ),
        (
            entra(
                400,
                "invalid_tenant",
                90002,
                None,
                "Tenant 'nope.example' not found.",
            ),
            C::TenantNotFound,
        ),
        (
            entra(
                400,
                "invalid_request",
                9001023,
                None,
                "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
            ),
            C::GrantNotSupportedAtEndpoint,
        ),
        (
            entra(
                400,
                "invalid_request",
                90010,
                None,
                "The grant type is not supported over the /common or /consumers endpoints.",
            ),
            C::GrantNotSupportedAtEndpoint,
        ),
        (
            entra(
                400,
                "invalid_grant",
                50196,
                None,
                "The server terminated an operation because it encountered a client request loop.",
            ),
            C::Throttled,
        ),
        (
            entra(
                429,
                "temporarily_unavailable",
                90033,
                None,
                "A transient error has occurred.",
            ),
            C::Throttled,
        ),
        (
            entra(400, "invalid_grant", 99999, None, "Something new."),
            C::InteractionRequired,
        ),
        (
            entra(400, "invalid_client", 99998, None, "Something new."),
            C::InvalidClient,
        ),
        (
            entra(500, "server_error", 99997, None, "Boom."),
            C::ServerUnavailable,
        ),
    ];
    for (response, expected) in rows {
        let e = parse_error_response(&response).unwrap();
        assert_eq!(e.classify(), expected, "{e}");
    }
}

#[test]
fn dotnet_two_code_body_picks_the_known_code() {
    let body = r#"{"error":"invalid_grant","error_description":"AADSTS70002: Error validating credentials. AADSTS70008: The provided access grant is expired or revoked.","error_codes":[70002,70008]}"#;
    assert_eq!(
        class(&json_response(400, body)),
        ErrorClass::RefreshTokenExpired
    );
}

#[test]
fn code_from_description_when_error_codes_are_absent() {
    let body =
        r#"{"error":"invalid_grant","error_description":"AADSTS50055: The password is expired."}"#;
    let e = parse_error_response(&json_response(400, body)).unwrap();
    assert_eq!(e.aadsts_code(), Some(50055));
    assert_eq!(e.classify(), ErrorClass::PasswordExpired);
}

#[test]
fn suberror_alone_classifies() {
    let cases = [
        (
            "consent_required",
            ErrorClass::ConsentRequired { admin: false },
        ),
        ("user_password_expired", ErrorClass::PasswordExpired),
        ("bad_token", ErrorClass::RefreshTokenExpired),
        ("basic_action", ErrorClass::InteractionRequired),
        ("additional_action", ErrorClass::InteractionRequired),
        ("message_only", ErrorClass::InteractionRequired),
    ];
    for (sub, expected) in cases {
        let body = format!(r#"{{"error":"invalid_grant","suberror":"{sub}"}}"#);
        assert_eq!(class(&json_response(400, &body)), expected, "{sub}");
    }
}

#[test]
fn suberror_values_parse() {
    for s in [
        "basic_action",
        "additional_action",
        "message_only",
        "consent_required",
        "user_password_expired",
        "bad_token",
        "token_expired",
        "protection_policy_required",
        "client_mismatch",
        "device_authentication_failed",
    ] {
        let parsed = Suberror::parse(s);
        assert!(!matches!(parsed, Suberror::Other(_)), "{s}");
        assert_eq!(parsed.as_str(), s);
    }
    assert_eq!(Suberror::parse("BASIC_ACTION"), Suberror::BasicAction);
    assert_eq!(
        Suberror::parse("new_thing"),
        Suberror::Other("new_thing".into())
    );
}

#[test]
fn every_field_is_kept() {
    let body = r#"{"error":"invalid_grant","error_description":"AADSTS50055: The password is expired.\r\nTrace ID: t1\r\nCorrelation ID: c1\r\nTimestamp: 2024-05-01 10:00:00Z","error_codes":["50055"],"suberror":"user_password_expired","claims":"{\"access_token\":{}}","timestamp":"2024-05-01 10:00:00Z","trace_id":"0000aaaa-11bb-cccc-dd22-eeeeee333333","correlation_id":"aaaa0000-bb11-2222-33cc-444444dddddd","error_uri":"https://login.microsoftonline.com/error?code=50055","password_change_url":"https://portal.microsoftonline.com/ChangePassword.aspx","error_additional_info":"x"}"#;
    let e = parse_error_response(&json_response(400, body)).unwrap();
    assert_eq!(e.error_codes, [50055]);
    assert_eq!(e.suberror_kind(), Some(Suberror::UserPasswordExpired));
    assert_eq!(e.claims_challenge(), Some(r#"{"access_token":{}}"#));
    assert_eq!(e.message(), "AADSTS50055: The password is expired.");
    assert_eq!(
        e.password_change_url.as_deref(),
        Some("https://portal.microsoftonline.com/ChangePassword.aspx")
    );
    assert_eq!(
        e.correlation_id,
        Some(uuid::Uuid::from_u128(
            0xaaaa0000_bb11_2222_33cc_444444dddddd
        ))
    );
    insta::assert_debug_snapshot!(e);
    insta::assert_snapshot!(ProtocolError::from(e), @"server error `invalid_grant` (HTTP 400), suberror `user_password_expired`: AADSTS50055: The password is expired. [trace id 0000aaaa-11bb-cccc-dd22-eeeeee333333] [correlation id aaaa0000-bb11-2222-33cc-444444dddddd]");
}

#[test]
fn ids_that_are_not_uuids_are_left_out_without_failing_the_parse() {
    let body = r#"{"error":"invalid_grant","trace_id":"t1","correlation_id":42}"#;
    let e = parse_error_response(&json_response(400, body)).unwrap();
    assert_eq!(e.error, "invalid_grant");
    assert_eq!(e.trace_id, None);
    assert_eq!(e.correlation_id, None);
}

#[test]
fn claims_challenge_only_where_msal_exposes_it() {
    let body = r#"{"error":"invalid_client","claims":"{}"}"#;
    assert_eq!(
        parse_error_response(&json_response(401, body))
            .unwrap()
            .claims_challenge(),
        None
    );
    let body = r#"{"error":"interaction_required","claims":"{}"}"#;
    assert_eq!(
        parse_error_response(&json_response(400, body))
            .unwrap()
            .claims_challenge(),
        Some("{}")
    );
}

#[test]
fn retry_after_seconds_or_date() {
    let now = UNIX_EPOCH + Duration::from_secs(1_445_412_400);
    assert_eq!(RetryAfter::parse(" 120 "), Some(RetryAfter::Seconds(120)));
    let date = RetryAfter::parse("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
    assert_eq!(date.delay(now), Duration::from_secs(80));
    assert_eq!(date.delay(now + Duration::from_secs(1000)), Duration::ZERO);
    assert_eq!(RetryAfter::parse("soon"), None);
    let r = http::Response::builder()
        .status(503)
        .header("retry-after", "7")
        .body(br#"{"error":"temporarily_unavailable"}"#.to_vec())
        .unwrap();
    let e = parse_error_response(&r).unwrap();
    assert_eq!(e.retry_after, Some(RetryAfter::Seconds(7)));
    assert_eq!(e.classify(), ErrorClass::Throttled);
}

#[test]
fn non_error_bodies_are_typed_errors() {
    let ok = json_response(200, r#"{"access_token":"a"}"#);
    assert!(matches!(
        parse_error_response(&ok),
        Err(ProtocolError::UnexpectedResponse { status: 200, .. })
    ));
    let long = "x".repeat(1000);
    let r = http::Response::builder()
        .status(502)
        .body(long.into_bytes())
        .unwrap();
    let ProtocolError::UnexpectedResponse { excerpt, .. } = parse_error_response(&r).unwrap_err()
    else {
        panic!()
    };
    assert_eq!(excerpt.chars().count(), 161);
    let r = http::Response::builder()
        .status(400)
        .body(br#"{"error":42}"#.to_vec())
        .unwrap();
    assert!(matches!(
        parse_error_response(&r),
        Err(ProtocolError::UnexpectedResponse { .. })
    ));
}

#[test]
fn ws_trust_faults_classify_like_entra_answers() {
    let fault = |subcode: Option<&str>, reason: &str| ProtocolError::WsTrustFault {
        code: "s:Sender".to_owned(),
        subcode: subcode.map(str::to_owned),
        reason: reason.to_owned(),
    };
    assert_eq!(
        fault(
            Some("a:FailedAuthentication"),
            "MSIS3127: The specified request failed."
        )
        .class(),
        ErrorClass::InvalidCredentials
    );
    assert_eq!(
        fault(
            Some("a:FailedAuthentication"),
            "MSIS5006: The account is locked out."
        )
        .class(),
        ErrorClass::AccountLocked
    );
    assert_eq!(
        fault(None, "The user account is disabled.").class(),
        ErrorClass::AccountDisabled
    );
    assert_eq!(
        fault(None, "The user's password has expired.").class(),
        ErrorClass::PasswordExpired
    );
    assert_eq!(
        fault(Some("a:InvalidRequest"), "Bad envelope").class(),
        ErrorClass::Other
    );
}

#[test]
fn no_display_repeats_its_source() {
    let xml = quick_xml::Reader::from_str("<a></b>")
        .read_to_end(quick_xml::name::QName(b"a"))
        .expect_err("mismatched end tag");
    let errors = [
        ProtocolError::xml("WS-Trust response", xml),
        ProtocolError::xml("MEX document", "RequestedSecurityToken is never closed"),
    ];
    for error in errors {
        let source = std::error::Error::source(&error).expect("an XML error has a source");
        let (outer, inner) = (error.to_string(), source.to_string());
        assert!(!outer.contains(&inner), "{outer:?} repeats {inner:?}");
    }
}

/// A B2C error body as B2C writes it: no `error_codes`, the AADB2C code at the start of
/// the description, then Correlation ID and Timestamp lines.
fn b2c(error: &str, code: u32, message: &str) -> http::Response<Vec<u8>> {
    let body = serde_json::json!({
        "error": error,
        "error_description": format!("AADB2C{code}: {message}\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2024-05-01 10:00:00Z\r\n"),
    });
    json_response(400, &body.to_string())
}

#[test]
fn b2c_errors_classify_and_keep_their_code() {
    use ErrorClass as C;
    let rows = [
        (
            b2c(
                "access_denied",
                90225,
                "The username or password provided in the request are invalid.",
            ),
            90225,
            C::InvalidCredentials,
        ),
        (
            b2c("invalid_grant", 90052, "Invalid username or password."),
            90052,
            C::InvalidCredentials,
        ),
        (
            b2c("invalid_grant", 90054, "Invalid username or password."),
            90054,
            C::InvalidCredentials,
        ),
        (
            b2c(
                "invalid_grant",
                90053,
                "A user with the specified credential could not be found.",
            ),
            90053,
            C::UserNotFound,
        ),
        (
            b2c(
                "unauthorized_client",
                90057,
                "The provided application is not configured to allow the 'OAuth' Implicit flow.",
            ),
            90057,
            C::PublicClientFlowsNotAllowed,
        ),
        (
            b2c(
                "unauthorized_client",
                90058,
                "The provided application is not configured to allow public clients.",
            ),
            90058,
            C::PublicClientFlowsNotAllowed,
        ),
        (
            b2c(
                "unauthorized_client",
                90224,
                "Resource owner flow has not been enabled for the application.",
            ),
            90224,
            C::PublicClientFlowsNotAllowed,
        ),
        (
            b2c(
                "unauthorized_client",
                90248,
                "Resource owner flow can only be used by applications created through the B2C admin portal.",
            ),
            90248,
            C::PublicClientFlowsNotAllowed,
        ),
        (
            b2c(
                "access_denied",
                90111,
                "Your account has been locked. Contact your support person to unlock it, then try again.",
            ),
            90111,
            C::AccountLocked,
        ),
        (
            b2c(
                "access_denied",
                90114,
                "Your account is temporarily locked to prevent unauthorized use. Try again later.",
            ),
            90114,
            C::AccountLocked,
        ),
        (
            b2c(
                "invalid_grant",
                90080,
                "The provided grant has expired. Please re-authenticate and try again.",
            ),
            90080,
            C::RefreshTokenExpired,
        ),
        (
            b2c(
                "invalid_grant",
                90129,
                "The provided grant has been revoked. Please reauthenticate and try again.",
            ),
            90129,
            C::RefreshTokenExpired,
        ),
        (
            b2c(
                "invalid_grant",
                90128,
                "The account associated with this grant no longer exists. Please reauthenticate and try again.",
            ),
            90128,
            C::RefreshTokenExpired,
        ),
        (
            b2c(
                "invalid_client",
                90081,
                "The specified client_secret does not match the expected value for this client.",
            ),
            90081,
            C::InvalidClientSecret,
        ),
        (
            b2c(
                "invalid_request",
                90018,
                "The client ID 'x' specified in the request is not registered in tenant 'y'.",
            ),
            90018,
            C::ApplicationNotFound,
        ),
        (
            b2c(
                "invalid_request",
                90068,
                "The provided application with ID 'x' is not valid against this service.",
            ),
            90068,
            C::ApplicationNotFound,
        ),
        (
            b2c(
                "invalid_request",
                90285,
                "The application with identifier 'x' was not found.",
            ),
            90285,
            C::ApplicationNotFound,
        ),
        (
            b2c(
                "invalid_request",
                90284,
                "The application with identifier 'x' has not been granted consent and is unable to be used for local accounts.",
            ),
            90284,
            C::ConsentRequired { admin: true },
        ),
        (
            b2c(
                "invalid_scope",
                90117,
                "The scope 'x' provided in the request is not supported.",
            ),
            90117,
            C::InvalidScope,
        ),
        (
            b2c(
                "invalid_request",
                90244,
                "There are too many requests at this moment. Please wait for some time and try again.",
            ),
            90244,
            C::Throttled,
        ),
        (
            b2c(
                "server_error",
                90035,
                "The service is temporarily unavailable. Please retry after a few minutes.",
            ),
            90035,
            C::ServerUnavailable,
        ),
    ];
    for (response, code, class) in rows {
        let error = parse_error_response(&response).unwrap();
        assert_eq!(error.aadb2c_code(), Some(code), "{error}");
        assert_eq!(error.aadsts_code(), None, "{error}");
        assert_eq!(error.classify(), class, "{error}");
    }
    let wrong_password = parse_error_response(&b2c(
        "access_denied",
        90225,
        "The username or password provided in the request are invalid.",
    ))
    .unwrap();
    assert_eq!(
        wrong_password
            .correlation_id
            .map(|id| id.to_string())
            .as_deref(),
        Some("aaaa0000-bb11-2222-33cc-444444dddddd"),
        "B2C sends the correlation id only in the description"
    );
    insta::assert_snapshot!(wrong_password, @"server error `access_denied` (HTTP 400): AADB2C90225: The username or password provided in the request are invalid. [correlation id aaaa0000-bb11-2222-33cc-444444dddddd]");
}

#[test]
fn an_unknown_b2c_code_falls_back_to_the_error() {
    let error = parse_error_response(&b2c("access_denied", 90999, "Something else.")).unwrap();
    assert_eq!(error.aadb2c_code(), Some(90999));
    assert_eq!(error.classify(), ErrorClass::Other);
    let entra = parse_error_response(&json_response(
        400,
        r#"{"error":"access_denied","error_description":"not AADB2C90225: at the start"}"#,
    ))
    .unwrap();
    assert_eq!(entra.aadb2c_code(), None);
}

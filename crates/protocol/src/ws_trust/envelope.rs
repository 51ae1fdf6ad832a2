//! The WS-Trust RequestSecurityToken envelope (SOAP 1.2) for username/password.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::fmt::Write as _;

use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{WsTrustEndpoint, WsTrustVersion};
use crate::error::ProtocolError;
use crate::wire::SecretBuffer;

/// How long the request's security timestamp is valid.
const TIMESTAMP_LIFETIME: Duration = Duration::from_secs(600);

/// `yyyy-mm-ddThh:mm:ssZ` for a time (UTC), without a clock read.
fn format_utc(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil-from-days (proleptic Gregorian), after H. Hinnant.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// The WS-Trust Issue request for a username and password, posted to
/// `endpoint.address` with `Content-Type: application/soap+xml; charset=utf-8` and the
/// version's `SOAPAction`. Every value is XML-escaped. `audience` is the user realm's
/// `cloud_audience_urn` ([`crate::UserRealm::audience`]); `message_id` fills
/// `wsa:MessageID`; `now` fills the security timestamp (valid 10 minutes).
pub fn ws_trust_request(
    endpoint: &WsTrustEndpoint,
    username: &str,
    password: &SecretString,
    audience: &str,
    message_id: Uuid,
    now: SystemTime,
) -> Result<crate::Request, ProtocolError> {
    if !super::mex::is_https(&endpoint.address) {
        return Err(ProtocolError::InsecureUrl {
            what: "WS-Trust endpoint",
            url: endpoint.address.clone(),
        });
    }
    let version = endpoint.version;
    let (key_type, request_type) = match version {
        WsTrustVersion::V13 => (
            "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer",
            "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
        ),
        WsTrustVersion::V2005 => (
            "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey",
            "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue",
        ),
    };
    let created = format_utc(now);
    let expires = format_utc(now.checked_add(TIMESTAMP_LIFETIME).unwrap_or(now));
    // Sized for the whole envelope up front; growing past it still wipes the old copy.
    let mut body = SecretBuffer::with_capacity(
        2048 + endpoint.address.as_str().len()
            + 6 * (username.len() + password.expose_secret().len() + audience.len()),
    );
    // Writing into a SecretBuffer cannot fail: `write!` results are ignored below.
    body.push_str(concat!(
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"",
        " xmlns:wsa=\"http://www.w3.org/2005/08/addressing\"",
        " xmlns:wsu=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd\">",
        "<s:Header>",
    ));
    let _ = write!(
        body,
        "<wsa:Action s:mustUnderstand=\"1\">{}</wsa:Action>",
        version.action()
    );
    let _ = write!(body, "<wsa:MessageID>urn:uuid:{message_id}</wsa:MessageID>");
    body.push_str("<wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>");
    body.push_str("<wsa:To s:mustUnderstand=\"1\">");
    body.push_xml_escaped(endpoint.address.as_str());
    body.push_str("</wsa:To>");
    body.push_str(concat!(
        "<wsse:Security s:mustUnderstand=\"1\"",
        " xmlns:wsse=\"http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd\">",
    ));
    let _ = write!(
        body,
        "<wsu:Timestamp wsu:Id=\"_0\"><wsu:Created>{created}</wsu:Created><wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp>"
    );
    let _ = write!(
        body,
        "<wsse:UsernameToken wsu:Id=\"UsernameToken-{message_id}\"><wsse:Username>"
    );
    body.push_xml_escaped(username);
    body.push_str("</wsse:Username><wsse:Password>");
    // The one place the password is written into a request: escaped straight into the
    // zeroizing buffer, with no intermediate copy.
    body.push_xml_escaped(password.expose_secret());
    body.push_str("</wsse:Password></wsse:UsernameToken></wsse:Security></s:Header><s:Body>");
    let _ = write!(
        body,
        "<wst:RequestSecurityToken xmlns:wst=\"{}\">",
        version.namespace()
    );
    body.push_str("<wsp:AppliesTo xmlns:wsp=\"http://schemas.xmlsoap.org/ws/2004/09/policy\"><wsa:EndpointReference><wsa:Address>");
    body.push_xml_escaped(audience);
    body.push_str("</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>");
    let _ = write!(
        body,
        "<wst:KeyType>{key_type}</wst:KeyType><wst:RequestType>{request_type}</wst:RequestType>"
    );
    body.push_str("</wst:RequestSecurityToken></s:Body></s:Envelope>");

    http::Request::builder()
        .method(http::Method::POST)
        .uri(endpoint.address.as_str())
        .header(
            http::header::CONTENT_TYPE,
            "application/soap+xml; charset=utf-8",
        )
        .header("SOAPAction", version.action())
        .body(body.into_inner())
        .map_err(ProtocolError::request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            format_utc(UNIX_EPOCH + Duration::from_secs(1_700_000_000)),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            format_utc(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            format_utc(UNIX_EPOCH + Duration::from_secs(4_102_444_799)),
            "2099-12-31T23:59:59Z"
        );
    }

    #[test]
    fn a_now_at_the_end_of_time_does_not_panic() {
        // The latest instant the platform can hold: adding the timestamp's lifetime
        // used to overflow and panic.
        let last = (0..64)
            .rev()
            .map(|bit| 1u64 << bit)
            .fold(UNIX_EPOCH, |t, step| {
                t.checked_add(Duration::from_secs(step)).unwrap_or(t)
            });
        let endpoint = WsTrustEndpoint {
            address: "https://fs.fabrikam.com/adfs/services/trust/13/usernamemixed".into(),
            version: WsTrustVersion::V13,
        };
        let r = ws_trust_request(
            &endpoint,
            "feduser@fabrikam.com",
            &SecretString::from("x"),
            "urn:federation:MicrosoftOnline",
            Uuid::nil(),
            last,
        )
        .unwrap();
        assert!(
            std::str::from_utf8(r.body())
                .unwrap()
                .contains("<wsu:Expires>")
        );
    }
}

//! Token requests for every grant of the flow, and the token response.

mod request;
mod response;

pub use request::{
    ClientAuth, TokenParams, check_scopes, decorate_scopes, merge_claims, password_grant,
    refresh_token_grant, saml_bearer_grant,
};
pub(crate) use request::{GRANT_SAML1_1, GRANT_SAML2};
pub use response::{IdToken, MAX_LIFETIME_SECS, TokenResponse, parse_token_response};

#[cfg(test)]
mod tests;

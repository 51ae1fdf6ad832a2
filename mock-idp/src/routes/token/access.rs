//! Checks on the user after their password: account state and conditional access.

use crate::errors::EntraError;
use crate::fixture::{Fixture, PolicyControl, Resource, User};

/// The claims challenge value for per-user MFA, which has no policy id of its own.
pub(crate) const PER_USER_MFA_POLICY_ID: &str = "00000000-0000-0000-0000-00000000f00d";

/// Locked (50053), disabled (50057), password expired (50055).
pub(super) fn account_state(user: &User) -> Result<(), EntraError> {
    if user.locked {
        return Err(EntraError::invalid_grant(
            50053,
            "The account is locked, you've tried to sign in too many times with an incorrect \
             user ID or password.",
        ));
    }
    if user.disabled {
        return Err(disabled());
    }
    if user.password_expired {
        let mut err = EntraError::invalid_grant(50055, "The password is expired.")
            .suberror("user_password_expired");
        err.password_change = true;
        return Err(err);
    }
    Ok(())
}

pub(super) fn disabled() -> EntraError {
    EntraError::invalid_grant(
        50057,
        "The user account is disabled. The account has been disabled by an administrator.",
    )
}

fn challenge(policy_ids: &[&str]) -> String {
    serde_json::json!({"access_token": {"capolids": {"essential": true, "values": policy_ids}}})
        .to_string()
}

/// Conditional access: block (53003), MFA (50076, or 50079 without a method).
pub(super) fn policies(
    fixture: &Fixture,
    user: &User,
    client_id: &str,
    resource: &Resource,
) -> Result<(), EntraError> {
    let applying: Vec<_> = fixture
        .policies
        .iter()
        .filter(|p| p.tenant == user.tenant)
        .filter(|p| {
            p.users
                .as_ref()
                .is_none_or(|users| users.iter().any(|u| u.eq_ignore_ascii_case(&user.username)))
        })
        .filter(|p| {
            p.apps
                .as_ref()
                .is_none_or(|apps| apps.iter().any(|a| a.eq_ignore_ascii_case(client_id)))
        })
        .collect();
    if applying.iter().any(|p| p.control == PolicyControl::Block) {
        return Err(EntraError::invalid_grant(
            53003,
            "Access has been blocked by Conditional Access policies. The access policy does not \
             allow token issuance.",
        )
        .suberror("message_only"));
    }
    let mut mfa: Vec<&str> = applying
        .iter()
        .filter(|p| p.control == PolicyControl::RequireMfa)
        .map(|p| p.id.as_str())
        .collect();
    if user.mfa_required {
        mfa.push(PER_USER_MFA_POLICY_ID);
    }
    if mfa.is_empty() {
        return Ok(());
    }
    let target = &resource.app_id;
    if user.mfa_registered {
        Err(EntraError::invalid_grant(
            50076,
            format!(
                "Due to a configuration change made by your administrator, or because you moved \
                 to a new location, you must use multi-factor authentication to access '{target}'."
            ),
        )
        .suberror("basic_action")
        .claims(challenge(&mfa)))
    } else {
        Err(EntraError::bad(
            "interaction_required",
            50079,
            format!(
                "Due to a configuration change made by your administrator, or because you moved \
                 to a new location, you must enroll in multi-factor authentication to access \
                 '{target}'."
            ),
        )
        .claims(challenge(&mfa)))
    }
}

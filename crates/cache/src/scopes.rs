//! Scope lists as MSAL stores and compares them.

/// Scopes every sign-in carries; they never make two access tokens "overlap".
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "offline_access", "email"];

/// `" ".join(sorted(scopes))`, as MSAL Python writes `target` (code point order, no dedup).
pub(crate) fn sorted_target<'a>(scopes: impl Iterator<Item = &'a str>) -> String {
    let mut scopes: Vec<&str> = scopes.collect();
    scopes.sort_unstable();
    scopes.join(" ")
}

/// Whether every scope in `wanted` is in `target` (case-insensitive, as Entra treats scopes).
pub(crate) fn target_contains_all(target: &str, wanted: &[&str]) -> bool {
    wanted
        .iter()
        .all(|w| target.split_whitespace().any(|t| t.eq_ignore_ascii_case(w)))
}

fn is_oidc(scope: &str) -> bool {
    OIDC_SCOPES.iter().any(|o| o.eq_ignore_ascii_case(scope))
}

/// MSAL Node's rule for replacing an access token: the two targets share a scope, OIDC
/// scopes not counting unless the new target has nothing else.
pub(crate) fn intersects_ignoring_oidc(existing: &str, new: &str) -> bool {
    let only_oidc = new.split_whitespace().all(is_oidc);
    new.split_whitespace()
        .filter(|s| only_oidc || !is_oidc(s))
        .any(|s| {
            existing
                .split_whitespace()
                .any(|e| e.eq_ignore_ascii_case(s))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_is_sorted_by_code_point_like_python() {
        let target =
            sorted_target(["openid", "User.Read", "profile", "offline_access"].into_iter());
        assert_eq!(target, "User.Read offline_access openid profile");
    }

    #[test]
    fn oidc_scopes_alone_do_not_make_tokens_overlap() {
        let old = "Mail.Read offline_access openid profile";
        assert!(!intersects_ignoring_oidc(
            old,
            "User.Read offline_access openid profile"
        ));
        assert!(intersects_ignoring_oidc(old, "mail.read openid"));
        assert!(intersects_ignoring_oidc(old, "openid profile"));
    }

    #[test]
    fn subset_match_ignores_case() {
        assert!(target_contains_all("User.Read openid", &["user.read"]));
        assert!(!target_contains_all("User.Read openid", &["Mail.Read"]));
        assert!(target_contains_all("User.Read", &[]));
    }
}

"""MSAL Python signs in users of mock-idp's default fixture."""

import base64
import json

import msal

CONTOSO_TENANT = "aaaabbbb-0000-cccc-1111-dddd2222eeee"
CONTOSO_CLI = "00001111-aaaa-2222-bbbb-3333cccc4444"
GRAPH = "00000003-0000-0000-c000-000000000000"
PASSWORD = "Pa$$ w0rd&=+\u00e9"


def app(mock_idp):
    # A new application per sign-in: MSAL Python remembers a refused request for 60 s.
    return msal.PublicClientApplication(
        CONTOSO_CLI,
        authority=mock_idp.authority("organizations"),
        instance_discovery=False,
        http_client=mock_idp.http_client(),
    )


def claims(jwt):
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_alice_gets_tokens(mock_idp):
    result = app(mock_idp).acquire_token_by_username_password(
        "alice@contoso.com", PASSWORD, scopes=["User.Read"]
    )
    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == "alice@contoso.com"
    assert result["id_token_claims"]["tid"] == CONTOSO_TENANT
    access = claims(result["access_token"])
    assert access["aud"] == GRAPH
    assert "User.Read" in access["scp"].split()


def test_mfa_user_is_refused_with_a_claims_challenge(mock_idp):
    result = app(mock_idp).acquire_token_by_username_password(
        "mfa-required@contoso.com", PASSWORD, scopes=["User.Read"]
    )
    assert "access_token" not in result
    assert result["error"] == "invalid_grant"
    assert result["error_codes"] == [50076]
    assert result["suberror"] == "basic_action"
    assert result["claims"]

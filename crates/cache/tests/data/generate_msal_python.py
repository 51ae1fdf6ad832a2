"""Regenerates msal_python_1_39.json: a token cache written by MSAL Python itself.

Runs MSAL Python's real username/password flow against an in-process fake HTTP
client (no network), with a frozen clock, then prints SerializableTokenCache.serialize().
Every token is a fake. Usage:

    python -m venv venv && venv/bin/pip install msal==1.39.0
    venv/bin/python generate_msal_python.py > msal_python_1_39.json
"""
import base64
import json
import sys
import time
from urllib.parse import parse_qs

import msal

NOW = 1700000000  # frozen clock, so the fixture is reproducible
time.time = lambda: NOW

TENANT = "aaaabbbb-0000-cccc-1111-dddd2222eeee"
CLIENT_ID = "00001111-aaaa-2222-bbbb-3333cccc4444"
USERS = {
    # username: (oid, extra token response fields)
    "alice@contoso.com": ("00000000-0000-0000-0000-00000000a11c", {"refresh_in": 1800}),
    "zo\u00eb@contoso.com": ("00000000-0000-0000-0000-0000000020e0", {"foci": "1"}),
}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class FakeResponse:
    def __init__(self, body, status_code=200):
        self.status_code = status_code
        self.text = json.dumps(body)
        self.headers = {}

    def raise_for_status(self):
        if self.status_code >= 400:
            raise RuntimeError("HTTP %d" % self.status_code)


class FakeEntra:
    """Answers discovery, user realm and token requests like Entra, with fake tokens."""

    def __init__(self):
        self.issued = 0

    def get(self, url, params=None, headers=None, **kwargs):
        if "/userrealm/" in url:
            return FakeResponse({"ver": "1.0", "account_type": "Managed",
                                 "domain_name": "contoso.com",
                                 "cloud_instance_name": "login.microsoftonline.com",
                                 "cloud_audience_urn": "urn:federation:MicrosoftOnline"})
        if url.endswith("/.well-known/openid-configuration"):
            base = "https://login.microsoftonline.com/" + TENANT
            return FakeResponse({"authorization_endpoint": base + "/oauth2/v2.0/authorize",
                                 "token_endpoint": base + "/oauth2/v2.0/token",
                                 "issuer": base + "/v2.0"})
        raise RuntimeError("unexpected GET " + url)

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        form = data if isinstance(data, dict) else {
            k: v[0] for k, v in parse_qs(data or "").items()}
        username = form["username"]
        oid, extra = USERS[username]
        self.issued += 1
        id_token = ".".join([
            b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()),
            b64url(json.dumps({"aud": CLIENT_ID, "iss": "https://login.microsoftonline.com/%s/v2.0" % TENANT,
                               "iat": NOW, "nbf": NOW, "exp": NOW + 3600, "oid": oid, "sub": "sub-" + oid,
                               "tid": TENANT, "preferred_username": username, "name": username,
                               "ver": "2.0"}).encode()),
            "fake-signature"])
        body = {
            "token_type": "Bearer",
            "scope": form["scope"].replace("offline_access openid profile", "").strip()
                     + " openid profile offline_access",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": "fake-access-token-%d" % self.issued,
            "refresh_token": "fake-refresh-token-%d" % self.issued,
            "id_token": id_token,
            "client_info": b64url(json.dumps({"uid": oid, "utid": TENANT}).encode()),
        }
        body.update(extra)
        return FakeResponse(body)

    def close(self):
        pass


def main():
    cache = msal.SerializableTokenCache()
    app = msal.PublicClientApplication(
        CLIENT_ID, authority="https://login.microsoftonline.com/" + TENANT,
        http_client=FakeEntra(), token_cache=cache, instance_discovery=False)
    for username in USERS:
        result = app.acquire_token_by_username_password(
            username, "fake-password", scopes=["User.Read"])
        assert "access_token" in result, result
    # A second access token for alice with other scopes, as a later call would add.
    result = app.acquire_token_by_username_password(
        "alice@contoso.com", "fake-password", scopes=["Mail.Read"])
    assert "access_token" in result, result
    sys.stdout.write(cache.serialize())


if __name__ == "__main__":
    main()

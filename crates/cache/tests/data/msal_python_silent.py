"""Checks that MSAL Python serves acquire_token_silent from a cache file, offline.

Usage: python msal_python_silent.py CACHE_FILE CLIENT_ID TENANT USERNAME SCOPE NOW

NOW (unix seconds) freezes MSAL's clock, so the result does not depend on the date.

Loads CACHE_FILE into msal.SerializableTokenCache, lists the accounts, and asks for a
token silently. The fake HTTP client answers only OIDC discovery and fails on any POST,
so success proves the token came from the cache. Prints one JSON object.
"""
import json
import sys
import time

import msal

cache_file, client_id, tenant, username, scope, now = sys.argv[1:7]
time.time = lambda: int(now)


class OfflineEntra:
    def get(self, url, params=None, headers=None, **kwargs):
        if url.endswith("/.well-known/openid-configuration"):
            base = "https://login.microsoftonline.com/" + tenant
            return Response({"authorization_endpoint": base + "/oauth2/v2.0/authorize",
                             "token_endpoint": base + "/oauth2/v2.0/token",
                             "issuer": base + "/v2.0"})
        raise RuntimeError("unexpected GET " + url)

    def post(self, url, **kwargs):
        raise RuntimeError("MSAL Python sent a POST to %s: the cache did not serve it" % url)

    def close(self):
        pass


class Response:
    def __init__(self, body):
        self.status_code = 200
        self.text = json.dumps(body)
        self.headers = {}

    def raise_for_status(self):
        pass


cache = msal.SerializableTokenCache()
with open(cache_file, encoding="utf-8") as f:
    cache.deserialize(f.read())
app = msal.PublicClientApplication(
    client_id, authority="https://login.microsoftonline.com/" + tenant,
    http_client=OfflineEntra(), token_cache=cache, instance_discovery=False)
accounts = app.get_accounts(username=username)
result = app.acquire_token_silent([scope], account=accounts[0]) if accounts else None
print(json.dumps({
    "accounts": [a["username"] for a in app.get_accounts()],
    "token_source": (result or {}).get("token_source"),
    "access_token": (result or {}).get("access_token"),
}))

#!/usr/bin/env python3
"""Drive MSAL Python (msal==1.39.0) against a running mock-idp and check that every
row of the default fixture (mock-idp/README.md) gives the documented outcome: managed
users, the federated user through the mock ADFS, the personal account that MSAL
Python refuses before the password is sent, and the B2C user flow, the ADFS authority
and the External ID tenant.

Usage:
    python msal_python_conformance.py --base-url https://localhost:PORT --ca ca.pem \
        [--write-b2c-cache PATH] [--verbose]

mock-idp must have been started with `--hostname contosob2c.b2clogin.com --hostname
contosociam.ciamlogin.com`: the B2C and External ID cases use those real host names,
which this process resolves to 127.0.0.1 (`resolve_mapped_hosts`).

One line per case (`ok   ...` or `FAIL ...`), then `msal-python: N passed, N failed`.
Exit status 0 when every case passed, 1 when one failed, 2 on bad arguments or a
mock-idp that cannot be reached.

How MSAL Python is set up so that it only ever talks to mock-idp:
- `instance_discovery=False` for Entra authorities: no call to the real instance
  discovery endpoint. B2C, External ID and ADFS authorities keep MSAL's own validation,
  which trusts them without instance discovery.
- `http_client=LoopbackHttpClient(...)`: a requests.Session that trusts the mock's CA
  (passed per request: `REQUESTS_CA_BUNDLE` in the environment would override `Session.verify`),
  refuses any host but localhost/127.0.0.1, and puts the port back on URLs that lost it
  (MSAL Python sends user realm discovery to `https://{hostname}/common/userrealm/...`).
- A fresh application object per attempt: MSAL Python replays a 400 answer to an
  identical POST for 60 s per application object.
- The client clock: MSAL Python decides that a cached access token expired from its own
  `time.time()`. When the script advances mock-idp's clock through the admin API it
  advances MSAL's clock by the same amount (see `ClientClock`), as if the time had
  really passed on both sides.
"""

import argparse
import base64
import json
import os
import socket
import sys
import time
import traceback
import urllib.parse
import warnings

try:
    import msal
    import msal.application
    import msal.oauth2cli.oidc
    import msal.token_cache
    import requests
except ImportError as err:  # pragma: no cover - environment problem, not a case
    sys.stderr.write(
        "msal_python_conformance: %s\n"
        "install the client first: python3 -m pip install msal==1.39.0\n" % err
    )
    sys.exit(2)

# The default fixture (mock-idp/README.md, "The default fixture").
CONTOSO_TENANT = "aaaabbbb-0000-cccc-1111-dddd2222eeee"
CONTOSO_CLI = "00001111-aaaa-2222-bbbb-3333cccc4444"
CONTOSO_DAEMON = "11112222-bbbb-3333-cccc-4444dddd5555"
CONTOSO_WEB = "22223333-cccc-4444-dddd-5555eeee6666"
# Not in any fixture tenant.
UNKNOWN_CLIENT = "99990000-ffff-9999-eeee-8888dddd7777"
PASSWORD = "Pa$$ w0rd&=+\u00e9"
DAEMON_SECRET = "contoso-daemon-secret"
SCOPES = ["User.Read"]
FABRIKAM_TENANT = "bbbbcccc-1111-dddd-2222-eeee3333ffff"
FEDUSER = "feduser@fabrikam.com"
PERSONAL_USER = "someone@outlook.com"
MEX_PATH = "/adfs/services/trust/mex"
WS_TRUST_13_PATH = "/adfs/services/trust/13/usernamemixed"
SAML11_GRANT = "urn:ietf:params:oauth:grant-type:saml1_1-bearer"
EXPECTED_MSAL_VERSION = "1.39.0"
VERBOSE = False

# Azure AD B2C, External ID and the ADFS authority (mock-idp/README.md).
B2C_HOST = "contosob2c.b2clogin.com"
B2C_DOMAIN = "contosob2c.onmicrosoft.com"
B2C_TENANT = "ccccdddd-2222-eeee-3333-ffff4444aaaa"
B2C_POLICY = "B2C_1_ROPC_Auth"
B2C_APP = "33334444-dddd-5555-eeee-6666ffff7777"
B2C_WEB = "44445555-eeee-6666-ffff-7777aaaa8888"
B2C_USER = "b2c-user@contosob2c.onmicrosoft.com"
B2C_USER_OID = "b2c00000-0000-4000-8000-000000000001"
B2C_LOCKED = "b2c-locked@contosob2c.onmicrosoft.com"
B2C_DISABLED = "b2c-disabled@contosob2c.onmicrosoft.com"
B2C_SCOPES = [B2C_APP]
CIAM_HOST = "contosociam.ciamlogin.com"
CIAM_DOMAIN = "contosociam.onmicrosoft.com"
CIAM_TENANT = "ddddeeee-3333-ffff-4444-aaaa5555bbbb"
CIAM_APP = "55556666-ffff-7777-aaaa-8888bbbb9999"
CIAM_USER = "ciam-user@contosociam.onmicrosoft.com"
ADFS_SCOPES = ["https://graph.microsoft.com/User.Read"]
MSIS_BAD_CREDENTIALS = "MSIS9659: Invalid 'username' or 'password'."
# The real host names MSAL Python must see to treat an authority as B2C or External ID.
# mock-idp serves them when started with `--hostname` for each; inside this process
# they resolve to 127.0.0.1 (see `resolve_mapped_hosts`).
MAPPED_HOSTS = (B2C_HOST, CIAM_HOST)


def resolve_mapped_hosts():
    """Makes `MAPPED_HOSTS` resolve to 127.0.0.1 in this process only (no /etc/hosts):
    every connection requests/urllib3 open goes through `socket.getaddrinfo`."""
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        if isinstance(name, str) and name.lower().rstrip(".") in MAPPED_HOSTS:
            host = "127.0.0.1"
        return real_getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


resolve_mapped_hosts()


def is_token_path(path):
    """Entra's and B2C's `.../oauth2/v2.0/token`, ADFS's `/adfs/oauth2/token[/]`."""
    return path.endswith("/oauth2/v2.0/token") or path.rstrip("/") == "/adfs/oauth2/token"


class ClientClock:
    """Stands in for the `time` module inside MSAL's cache and application modules, so
    that MSAL sees time pass when mock-idp's clock is advanced."""

    def __init__(self):
        self.offset = 0.0
        # When set, MSAL's clock stands still at this instant (`write_b2c_cache`).
        self.frozen = None

    def time(self):
        if self.frozen is not None:
            return self.frozen
        return _real_time() + self.offset

    def __getattr__(self, name):
        return getattr(time, name)


_real_time = time.time
CLIENT_CLOCK = ClientClock()
for _module in (msal.application, msal.token_cache, msal.oauth2cli.oidc):
    _module.time = CLIENT_CLOCK


class LoopbackHttpClient:
    """The `http_client` handed to MSAL: requests.Session trusting mock-idp's CA, limited
    to loopback hosts, putting the mock's port back on URLs that come without one."""

    LOOPBACK = ("localhost", "127.0.0.1") + MAPPED_HOSTS

    def __init__(self, base_url, ca):
        parsed = urllib.parse.urlsplit(base_url)
        self.port = parsed.port or 443
        self.ca = ca
        self.session = requests.Session()
        # Every exchange: (method, url, form dict or None, status).
        self.sent = []

    def _url(self, url):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "https" or parts.hostname not in self.LOOPBACK:
            raise RuntimeError("refusing to send a request off this machine: %s" % url)
        if parts.port is None:
            parts = parts._replace(netloc="%s:%d" % (parts.hostname, self.port))
        return urllib.parse.urlunsplit(parts)

    def post(self, url, params=None, data=None, headers=None, **kwargs):
        # Per request, not session.verify: requests lets REQUESTS_CA_BUNDLE override that.
        kwargs["verify"] = self.ca
        kwargs.setdefault("timeout", 30)
        target = self._url(url)
        resp = self.session.post(target, params=params, data=data, headers=headers, **kwargs)
        self.sent.append(("POST", target, dict(data) if isinstance(data, dict) else data,
                          resp.status_code))
        return resp

    def get(self, url, params=None, headers=None, **kwargs):
        kwargs["verify"] = self.ca
        kwargs.setdefault("timeout", 30)
        target = self._url(url)
        resp = self.session.get(target, params=params, headers=headers, **kwargs)
        self.sent.append(("GET", target, None, resp.status_code))
        return resp

    def close(self):
        self.session.close()

    def token_posts(self):
        return [entry for entry in self.sent
                if entry[0] == "POST" and is_token_path(urllib.parse.urlsplit(entry[1]).path)]


class CaseFailed(Exception):
    """A case's outcome differs from the fixture."""


def check(condition, message):
    if not condition:
        raise CaseFailed(message)


class Conformance:
    def __init__(self, base_url, ca):
        self.base_url = base_url.rstrip("/")
        self.ca = ca
        self.passed = 0
        self.failed = 0
        self.failures = []

    # --- plumbing -----------------------------------------------------------------

    def authority(self, tenant="organizations"):
        return "%s/%s" % (self.base_url, tenant)

    def public_app(self, client_id=CONTOSO_CLI, tenant="organizations"):
        http = LoopbackHttpClient(self.base_url, self.ca)
        app = msal.PublicClientApplication(
            client_id,
            authority=self.authority(tenant),
            http_client=http,
            instance_discovery=False,
        )
        return app, http

    def confidential_app(self, secret, client_id=CONTOSO_DAEMON, tenant="organizations"):
        http = LoopbackHttpClient(self.base_url, self.ca)
        app = msal.ConfidentialClientApplication(
            client_id,
            client_credential=secret,
            authority=self.authority(tenant),
            http_client=http,
            instance_discovery=False,
        )
        return app, http

    def advance_clock(self, seconds):
        """Moves mock-idp's clock (admin API) and MSAL's clock by the same amount."""
        resp = requests.post(
            self.base_url + "/_admin/clock/advance",
            json={"seconds": int(seconds)},
            verify=self.ca,
            timeout=30,
        )
        check(resp.status_code // 100 == 2,
              "admin clock advance answered %d: %s" % (resp.status_code, resp.text[:200]))
        CLIENT_CLOCK.offset += seconds

    def recorded_requests(self):
        """mock-idp's request log (admin API), secrets redacted."""
        resp = requests.get(self.base_url + "/_admin/requests", verify=self.ca, timeout=30)
        check(resp.status_code == 200, "admin requests answered %d" % resp.status_code)
        return resp.json()

    def clear_requests(self):
        resp = requests.delete(self.base_url + "/_admin/requests", verify=self.ca, timeout=30)
        check(resp.status_code // 100 == 2, "admin clear answered %d" % resp.status_code)

    @staticmethod
    def sign_in(app, username, password, scopes=None):
        with warnings.catch_warnings():
            # MSAL warns that ROPC is deprecated for public clients; expected here.
            warnings.simplefilter("ignore", DeprecationWarning)
            return app.acquire_token_by_username_password(
                username, password, scopes=scopes or SCOPES)

    def run(self, name, case):
        try:
            detail = case()
        except CaseFailed as err:
            outcome, detail = False, str(err)
        except Exception as err:  # a crash in MSAL or here is a failed case, not an abort
            outcome, detail = False, "%s: %s" % (type(err).__name__, err)
            if VERBOSE:
                traceback.print_exc()
        else:
            outcome = True
        if outcome:
            self.passed += 1
            print("ok   %s %s" % (name, detail))
        else:
            self.failed += 1
            self.failures.append(name)
            print("FAIL %s %s" % (name, detail))
        sys.stdout.flush()

    # --- what a case checks -------------------------------------------------------

    @staticmethod
    def describe(result):
        if "error" not in result:
            return "tokens" if "access_token" in result else "keys %s" % sorted(result)
        return "error=%s codes=%s suberror=%s desc=%r" % (
            result.get("error"), result.get("error_codes"), result.get("suberror"),
            ((result.get("error_description") or "").splitlines() or [""])[0][:120])

    def expect_tokens(self, result, http, username, client_id, tenant=CONTOSO_TENANT):
        check("access_token" in result, "expected tokens got %s" % self.describe(result))
        check("error" not in result and "suberror" not in result,
              "a success body carries error fields: %s" % self.describe(result))
        check(result.get("token_source") == "identity_provider",
              "token_source %r" % result.get("token_source"))
        check(result.get("refresh_token"), "no refresh_token in the response")
        check(int(result.get("expires_in", 0)) > 300,
              "expires_in %r is not above 300" % result.get("expires_in"))
        granted = (result.get("scope") or "").split()
        for scope in SCOPES:
            check(scope in granted, "scope %r does not echo %s" % (result.get("scope"), scope))
        claims = result.get("id_token_claims") or {}
        check(claims.get("aud") == client_id, "id token aud %r" % claims.get("aud"))
        check(claims.get("tid") == tenant, "id token tid %r" % claims.get("tid"))
        check((claims.get("preferred_username") or "").lower() == username.lower(),
              "id token preferred_username %r" % claims.get("preferred_username"))
        client_info = result.get("client_info")
        check(client_info, "no client_info")
        info = json.loads(base64.urlsafe_b64decode(client_info + "=" * (-len(client_info) % 4)))
        check(info.get("uid") == claims.get("oid") and info.get("utid") == tenant,
              "client_info %r does not match oid/tid" % info)
        check(http.token_posts() and http.token_posts()[-1][3] == 200,
              "token endpoint status %r" % [p[3] for p in http.token_posts()])

    def expect_error(self, result, http, code, error, status=400, suberror=None,
                     claims=False):
        check("access_token" not in result,
              "expected AADSTS%d got tokens" % code)
        codes = result.get("error_codes") or []
        check(code in codes, "expected %d got %s" % (code, self.describe(result)))
        check(result.get("error") == error,
              "expected error %s got %s" % (error, self.describe(result)))
        check((result.get("error_description") or "").startswith("AADSTS%d:" % code),
              "error_description does not start with AADSTS%d: %r"
              % (code, (result.get("error_description") or "")[:80]))
        if suberror is not None:
            check(result.get("suberror") == suberror,
                  "expected suberror %s got %s" % (suberror, self.describe(result)))
        if claims:
            raw = result.get("claims")
            check(raw, "expected a claims challenge, got none")
            json.loads(raw)
        for field in ("trace_id", "correlation_id", "timestamp"):
            check(result.get(field), "no %s in the error body" % field)
        posts = http.token_posts()
        check(posts and posts[-1][3] == status,
              "expected HTTP %d got %s" % (status, [p[3] for p in posts]))
        return "AADSTS%d %s%s" % (code, error, " " + suberror if suberror else "")

    def expect_silent_from_cache_then_refresh(self, app, http, first, username,
                                              scopes=None, expected_account=None):
        """`expected_account`: fields the cached account must have (default: the
        `home_account_id` `{oid}.{tid}` of an Entra account)."""
        scopes = scopes or SCOPES
        accounts = app.get_accounts(username=username)
        check(len(accounts) == 1, "get_accounts(%s) found %d accounts" % (username, len(accounts)))
        account = accounts[0]
        claims = first["id_token_claims"]
        if expected_account is None:
            expected_account = {
                "home_account_id": "%s.%s" % (claims.get("oid"), claims.get("tid"))}
        for field, value in expected_account.items():
            check(account.get(field) == value,
                  "account %s %r, expected %r" % (field, account.get(field), value))

        before = len(http.sent)
        cached = app.acquire_token_silent(scopes, account=account)
        check(cached is not None, "acquire_token_silent found nothing after sign-in")
        check(cached.get("token_source") == "cache",
              "silent token_source %r, expected cache" % cached.get("token_source"))
        check(cached.get("access_token") == first["access_token"],
              "silent returned another access token")
        check(len(http.sent) == before,
              "silent from cache sent %d requests" % (len(http.sent) - before))

        self.advance_clock(int(first["expires_in"]) + 60)
        before = len(http.token_posts())
        refreshed = app.acquire_token_silent(scopes, account=account)
        posts = http.token_posts()[before:]
        check(refreshed is not None,
              "silent after expiry gave None (refresh POSTs: %s)" % [p[3] for p in posts])
        check("access_token" in refreshed,
              "silent after expiry: %s" % self.describe(refreshed))
        check(refreshed.get("token_source") == "identity_provider",
              "silent after expiry token_source %r" % refreshed.get("token_source"))
        check(refreshed["access_token"] != first["access_token"],
              "the refresh gave the same access token")
        check(len(posts) == 1 and (posts[0][2] or {}).get("grant_type") == "refresh_token",
              "expected one refresh_token POST, got %s"
              % [((p[2] or {}).get("grant_type"), p[3]) for p in posts])
        return "tokens, silent from cache, refresh after expiry"

    # --- the cases ----------------------------------------------------------------

    def all_cases(self):
        user = lambda name: "%s@contoso.com" % name

        def alice(tenant):
            def case():
                app, http = self.public_app(tenant=tenant)
                result = self.sign_in(app, user("alice"), PASSWORD)
                self.expect_tokens(result, http, user("alice"), CONTOSO_CLI)
                return self.expect_silent_from_cache_then_refresh(app, http, result, user("alice"))
            return case

        self.run("alice@contoso.com (organizations)", alice("organizations"))
        self.run("alice@contoso.com (tenant GUID)", alice(CONTOSO_TENANT))
        self.run("alice@contoso.com (tenant contoso.com)", alice("contoso.com"))

        def refused(name, code, error, suberror=None, claims=False, password=PASSWORD,
                    scopes=None, client_id=CONTOSO_CLI, status=400, tenant="organizations",
                    secret=None):
            def case():
                if secret is None:
                    app, http = self.public_app(client_id=client_id, tenant=tenant)
                else:
                    app, http = self.confidential_app(secret, client_id=client_id, tenant=tenant)
                result = self.sign_in(app, user(name), password, scopes=scopes)
                return self.expect_error(result, http, code, error, status=status,
                                         suberror=suberror, claims=claims)
            return case

        rows = [
            ("mfa-required@contoso.com", refused(
                "mfa-required", 50076, "invalid_grant", "basic_action", claims=True)),
            ("mfa-enrollment@contoso.com", refused(
                "mfa-enrollment", 50079, "interaction_required", claims=True)),
            ("consent-required@contoso.com", refused(
                "consent-required", 65001, "invalid_grant", "consent_required")),
            ("password-expired@contoso.com", refused(
                "password-expired", 50055, "invalid_grant", "user_password_expired")),
            ("locked@contoso.com", refused("locked", 50053, "invalid_grant")),
            ("disabled@contoso.com", refused("disabled", 50057, "invalid_grant")),
            ("ca-blocked@contoso.com", refused(
                "ca-blocked", 53003, "invalid_grant", "message_only")),
            ("nobody@contoso.com", refused("nobody", 50034, "invalid_grant")),
            ("alice@contoso.com wrong password", refused(
                "alice", 50126, "invalid_grant", password="not-the-password")),
            ("alice@contoso.com Mail.Send without consent", refused(
                "alice", 65001, "invalid_grant", "consent_required", scopes=["Mail.Send"])),
            ("alice@contoso.com at /common", refused(
                "alice", 9001023, "invalid_request", tenant="common")),
            ("alice@contoso.com with Contoso Web (no public client flows)", refused(
                "alice", 7000218, "invalid_client", client_id=CONTOSO_WEB, status=401)),
            ("alice@contoso.com with Contoso Daemon, wrong secret", refused(
                "alice", 7000215, "invalid_client", status=401, client_id=CONTOSO_DAEMON,
                secret="not-the-secret")),
            ("alice@contoso.com with an unknown client id", refused(
                "alice", 700016, "unauthorized_client", client_id=UNKNOWN_CLIENT)),
        ]
        for name, case in rows:
            self.run(name, case)

        def daemon():
            app, http = self.confidential_app(DAEMON_SECRET)
            result = self.sign_in(app, user("alice"), PASSWORD)
            self.expect_tokens(result, http, user("alice"), CONTOSO_DAEMON)
            sent_secret = [p for p in http.token_posts()
                           if (p[2] or {}).get("client_secret") == DAEMON_SECRET]
            check(sent_secret, "MSAL did not send the client secret")
            return self.expect_silent_from_cache_then_refresh(app, http, result, user("alice"))

        self.run("alice@contoso.com with Contoso Daemon (confidential, ROPC)", daemon)

        # Personal accounts and the federated user (mock-idp/README.md, "Mock ADFS").
        def personal():
            app, http = self.public_app()
            self.clear_requests()
            try:
                result = self.sign_in(app, PERSONAL_USER, PASSWORD)
            except ValueError as err:
                # MSAL Python's personal-account failure: the realm is Federated to
                # live.com and the MEX document offers no username/password endpoint.
                check("Unable to find wstrust endpoint from MEX" in str(err),
                      "ValueError %s" % err)
            else:
                raise CaseFailed("expected MSAL's ValueError (no WS-Trust endpoint in MEX), "
                                 "got %s" % self.describe(result))
            leaked = [p for p in http.sent if p[0] == "POST" and PASSWORD in str(p[2])]
            check(not leaked, "MSAL posted the password: %s" % [p[1] for p in leaked])
            logged = self.recorded_requests()
            check(logged, "mock-idp recorded no request (no user realm discovery?)")
            carried = [r["path"] for r in logged if r["carried_password"]]
            check(not carried, "mock-idp saw the password at %s" % carried)
            check(not http.token_posts(), "MSAL reached the token endpoint")
            return ("MSAL refused before sending the password (no WS-Trust endpoint in MEX); "
                    "%d requests, none carried it" % len(logged))

        def federated():
            app, http = self.public_app()
            self.clear_requests()
            result = self.sign_in(app, FEDUSER, PASSWORD)
            self.expect_tokens(result, http, FEDUSER, CONTOSO_CLI, tenant=FABRIKAM_TENANT)
            logged = self.recorded_requests()
            paths = [r["path"] for r in logged]
            check(MEX_PATH in paths, "MSAL did not fetch the MEX document: %s" % paths)
            check(WS_TRUST_13_PATH in paths, "MSAL did not use WS-Trust 1.3: %s" % paths)
            chosen = [p for p in paths if p.startswith("/adfs/") and p != MEX_PATH]
            check(set(chosen) == {WS_TRUST_13_PATH},
                  "MSAL sent requests to other ADFS endpoints (decoys?): %s" % chosen)
            ws_trust = [r for r in logged if r["path"] == WS_TRUST_13_PATH]
            check(all(r["status"] == 200 for r in ws_trust),
                  "WS-Trust answered %s" % [r["status"] for r in ws_trust])
            tokens = [r for r in logged if r["path"].endswith("/oauth2/v2.0/token")]
            check(len(tokens) == 1, "expected one token request, got %d" % len(tokens))
            form = dict(tokens[0]["form"])
            check(form.get("grant_type") == SAML11_GRANT,
                  "token grant_type %r, expected %s" % (form.get("grant_type"), SAML11_GRANT))
            check(not tokens[0]["carried_password"], "the password reached the token endpoint")
            check(paths.index(MEX_PATH) < paths.index(WS_TRUST_13_PATH)
                  < paths.index(tokens[0]["path"]), "out of order: %s" % paths)
            detail = self.expect_silent_from_cache_then_refresh(app, http, result, FEDUSER)
            return "tokens through the mock ADFS (MEX, WS-Trust 1.3, SAML 1.1 bearer); " + detail

        self.run(PERSONAL_USER, personal)
        self.run(FEDUSER, federated)
        self.b2c_cases()
        self.adfs_cases()
        self.ciam_cases()

    # --- B2C, the ADFS authority, External ID (mock-idp/README.md) ----------------

    def host_url(self, host, path=""):
        """`https://{host}:{mock-idp's port}{path}`: a real host name (mapped to
        127.0.0.1), mock-idp's port."""
        return "https://%s:%d%s" % (host, urllib.parse.urlsplit(self.base_url).port, path)

    def b2c_authority(self, policy=B2C_POLICY, form=""):
        return self.host_url(B2C_HOST, "%s/%s/%s" % (form, B2C_DOMAIN, policy))

    def app_at(self, client_id, authority=None, oidc_authority=None, cache=None):
        """A public client application at an authority, with MSAL's own authority
        validation (no `instance_discovery=False`: B2C, ciamlogin and ADFS authorities
        are trusted without instance discovery; the HTTP client would refuse
        login.microsoftonline.com)."""
        http = LoopbackHttpClient(self.base_url, self.ca)
        kwargs = {"http_client": http}
        if oidc_authority:
            kwargs["oidc_authority"] = oidc_authority
        else:
            kwargs["authority"] = authority
        if cache is not None:
            kwargs["token_cache"] = cache
        return msal.PublicClientApplication(client_id, **kwargs), http

    def expect_only_token_path_carried_password(self, http):
        """mock-idp's log: the password reached the token endpoint and nothing else."""
        logged = self.recorded_requests()
        carried = [r["path"] for r in logged if r["carried_password"]]
        check(carried and all(is_token_path(p) for p in carried),
              "the password went to %s" % carried)
        discovery = [r["path"] for r in logged if r["path"].endswith("/discovery/instance")]
        check(not discovery, "MSAL asked instance discovery: %s" % discovery)
        return logged

    def expect_b2c_tokens(self, result, http, username=B2C_USER, policy=B2C_POLICY):
        check("access_token" in result, "expected tokens got %s" % self.describe(result))
        check("error" not in result, "a success body carries error fields")
        check(result.get("token_source") == "identity_provider",
              "token_source %r" % result.get("token_source"))
        check(result.get("refresh_token"), "no refresh_token in the response")
        claims = result.get("id_token_claims") or {}
        expected = {
            "aud": B2C_APP, "oid": B2C_USER_OID, "sub": B2C_USER_OID, "tfp": B2C_POLICY,
            "acr": B2C_POLICY.lower(),
            "iss": self.host_url(B2C_HOST, "/%s/v2.0/" % B2C_TENANT),
        }
        for claim, value in expected.items():
            check(claims.get(claim) == value,
                  "id token %s %r, expected %r" % (claim, claims.get(claim), value))
        check(username in (claims.get("emails") or []), "id token emails %r" % claims.get("emails"))
        client_info = result.get("client_info") or ""
        check(client_info, "no client_info")
        info = json.loads(base64.urlsafe_b64decode(client_info + "=" * (-len(client_info) % 4)))
        expected_info = {"uid": "%s-%s" % (B2C_USER_OID, policy.lower()), "utid": B2C_TENANT}
        check(info == expected_info, "client_info %r, expected %r" % (info, expected_info))
        posts = http.token_posts()
        check(posts and posts[-1][3] == 200, "token endpoint status %r" % [p[3] for p in posts])
        path = urllib.parse.urlsplit(posts[-1][1]).path
        check(path.lower() == "/%s/%s/oauth2/v2.0/token" % (B2C_DOMAIN, policy.lower()),
              "token endpoint %s" % path)

    def b2c_account(self, policy=B2C_POLICY, realm=B2C_DOMAIN):
        """The account MSAL Python keys a B2C sign-in under."""
        return {
            "home_account_id": "%s-%s.%s" % (B2C_USER_OID, policy.lower(), B2C_TENANT),
            "environment": B2C_HOST,
            "realm": realm,
            "username": B2C_USER,
            "authority_type": "MSSTS",
        }

    def expect_plain_error(self, result, http, error, description_start, status=400):
        """B2C's and ADFS's error shape: `error` and `error_description` only."""
        check("access_token" not in result,
              "expected %s got tokens" % description_start)
        check(result.get("error") == error,
              "expected error %s got %s" % (error, self.describe(result)))
        description = result.get("error_description") or ""
        check(description.startswith(description_start),
              "error_description does not start with %r: %r" % (description_start,
                                                                 description[:100]))
        check(not result.get("error_codes"), "error_codes %r in a B2C/ADFS body"
              % result.get("error_codes"))
        posts = http.token_posts()
        check(posts and posts[-1][3] == status,
              "expected HTTP %d got %s" % (status, [p[3] for p in posts]))
        return "%s %s (HTTP %d)" % (error, description_start.split(":")[0], status)

    def write_b2c_cache(self, path):
        """Signs b2c-user in at the B2C user flow with MSAL's clock standing at mock-idp's
        and writes MSAL Python's serialized token cache to `path`, as MSAL writes it
        (tests/data/README.md says how the committed file was made)."""
        resp = requests.get(self.base_url + "/_admin/clock", verify=self.ca, timeout=30)
        check(resp.status_code == 200, "admin clock answered %d" % resp.status_code)
        CLIENT_CLOCK.frozen = resp.json()["now"]
        try:
            cache = msal.SerializableTokenCache()
            app, http = self.app_at(B2C_APP, self.b2c_authority(), cache=cache)
            result = self.sign_in(app, B2C_USER, PASSWORD, scopes=B2C_SCOPES)
            self.expect_b2c_tokens(result, http)
            accounts = app.get_accounts(username=B2C_USER)
            check(len(accounts) == 1, "get_accounts found %d accounts" % len(accounts))
            for field, value in self.b2c_account().items():
                check(accounts[0].get(field) == value,
                      "account %s %r, expected %r" % (field, accounts[0].get(field), value))
            with open(path, "w", encoding="utf-8", newline="\n") as out:
                out.write(cache.serialize())
                out.write("\n")
        finally:
            CLIENT_CLOCK.frozen = None
        return "wrote %s (cached at %d, the access token expires at %d)" % (
            path, resp.json()["now"], resp.json()["now"] + int(result["expires_in"]))

    def b2c_cases(self):
        def signed_in(authority, policy=B2C_POLICY, realm=B2C_DOMAIN, oidc=False):
            def case():
                if oidc:
                    app, http = self.app_at(B2C_APP, oidc_authority=authority)
                else:
                    app, http = self.app_at(B2C_APP, authority)
                self.clear_requests()
                result = self.sign_in(app, B2C_USER, PASSWORD, scopes=B2C_SCOPES)
                self.expect_b2c_tokens(result, http, policy=policy)
                self.expect_only_token_path_carried_password(http)
                if oidc:
                    return "tokens (MSAL's issuer check accepted the OpenID configuration)"
                return self.expect_silent_from_cache_then_refresh(
                    app, http, result, B2C_USER, scopes=B2C_SCOPES,
                    expected_account=self.b2c_account(policy, realm))
            return case

        self.run("B2C %s (%s)" % (B2C_USER, self.b2c_authority()),
                 signed_in(self.b2c_authority()))
        self.run("B2C %s (/tfp/ form)" % B2C_USER,
                 signed_in(self.b2c_authority(form="/tfp")))
        self.run("B2C %s (oidc_authority)" % B2C_USER,
                 signed_in(self.b2c_authority() + "/v2.0", oidc=True))

        def refused(username, error, code, password=PASSWORD, client_id=B2C_APP, status=400):
            def case():
                app, http = self.app_at(client_id, self.b2c_authority())
                result = self.sign_in(app, username, password, scopes=[client_id])
                return self.expect_plain_error(result, http, error, code + ": ", status)
            return case

        rows = [
            ("B2C %s wrong password" % B2C_USER,
             refused(B2C_USER, "access_denied", "AADB2C90225", password="not-the-password")),
            ("B2C unknown user",
             refused("nobody@" + B2C_DOMAIN, "access_denied", "AADB2C90225")),
            ("B2C %s (locked)" % B2C_LOCKED, refused(B2C_LOCKED, "access_denied", "AADB2C90225")),
            ("B2C %s (disabled)" % B2C_DISABLED,
             refused(B2C_DISABLED, "access_denied", "AADB2C90225")),
            ("B2C with Contoso B2C Web (app not allowed the flow)",
             refused(B2C_USER, "unauthorized_client", "AADB2C90057", client_id=B2C_WEB)),
            ("B2C with Contoso CLI (an app of another tenant)",
             refused(B2C_USER, "invalid_request", "AADB2C90018", client_id=CONTOSO_CLI)),
        ]
        for name, case in rows:
            self.run(name, case)

        def unknown_policy():
            self.clear_requests()
            try:
                self.app_at(B2C_APP, self.b2c_authority(policy="B2C_1_Unknown"))
            except ValueError as err:
                check("Unable to get authority configuration" in str(err), "ValueError %s" % err)
            else:
                raise CaseFailed("MSAL accepted an authority whose OpenID configuration is 404")
            logged = self.recorded_requests()
            statuses = [(r["path"], r["status"]) for r in logged]
            check(len(logged) == 1 and logged[0]["status"] == 404,
                  "expected one 404 OpenID configuration request, got %s" % statuses)
            return "MSAL refuses the authority (OpenID configuration 404 AADB2C90022), " \
                   "no password sent"

        self.run("B2C unknown policy", unknown_policy)

    def adfs_cases(self):
        authority = self.base_url + "/adfs"

        def signed_in(oidc=False):
            def case():
                if oidc:
                    app, http = self.app_at(CONTOSO_CLI, oidc_authority=authority)
                else:
                    app, http = self.app_at(CONTOSO_CLI, authority)
                self.clear_requests()
                result = self.sign_in(app, FEDUSER, PASSWORD, scopes=ADFS_SCOPES)
                check("access_token" in result, "expected tokens got %s" % self.describe(result))
                check(result.get("refresh_token"), "no refresh_token in the response")
                check("client_info" not in result, "ADFS answered client_info")
                claims = result.get("id_token_claims") or {}
                check(claims.get("upn") == FEDUSER, "id token upn %r" % claims.get("upn"))
                check(claims.get("aud") == CONTOSO_CLI, "id token aud %r" % claims.get("aud"))
                check(claims.get("iss") == authority, "id token iss %r" % claims.get("iss"))
                logged = self.expect_only_token_path_carried_password(http)
                paths = [r["path"] for r in logged]
                check(not any("/userrealm/" in p.lower() or "/services/trust/" in p
                              for p in paths),
                      "MSAL used user realm discovery or WS-Trust at an ADFS authority: %s"
                      % paths)
                if oidc:
                    return "tokens (MSAL's issuer check accepted the OpenID configuration)"
                # mock-idp's ADFS echoes the resource's scopes bare (`User.Read`), and
                # MSAL Python keys the cached access token by the response's `scope`: a
                # silent call for `https://graph.microsoft.com/User.Read` finds no access
                # token and refreshes. Silent is asked with the scope as granted.
                granted = [scope for scope in (result.get("scope") or "").split()
                           if scope not in ("openid", "profile", "offline_access", "email")]
                check(granted == ["User.Read"], "granted scopes %r" % granted)
                detail = self.expect_silent_from_cache_then_refresh(
                    app, http, result, FEDUSER, scopes=granted, expected_account={
                        "home_account_id": claims.get("sub"), "environment": "localhost",
                        "realm": "adfs", "authority_type": "ADFS"})
                return "password grant at /adfs/oauth2/token (no user realm, no WS-Trust); " \
                    + detail
            return case

        self.run("ADFS authority %s" % FEDUSER, signed_in())
        self.run("ADFS authority %s (oidc_authority)" % FEDUSER, signed_in(oidc=True))

        def refused(username, password=PASSWORD):
            def case():
                app, http = self.app_at(CONTOSO_CLI, authority)
                result = self.sign_in(app, username, password, scopes=ADFS_SCOPES)
                return self.expect_plain_error(result, http, "invalid_grant",
                                               MSIS_BAD_CREDENTIALS)
            return case

        self.run("ADFS authority %s wrong password" % FEDUSER,
                 refused(FEDUSER, password="not-the-password"))
        self.run("ADFS authority unknown user", refused("nobody@fabrikam.com"))
        self.run("ADFS authority alice@contoso.com (a managed tenant's user)",
                 refused("alice@contoso.com"))

    def ciam_cases(self):
        def signed_in(authority=None, oidc_authority=None):
            def case():
                app, http = self.app_at(CIAM_APP, authority, oidc_authority=oidc_authority)
                self.clear_requests()
                result = self.sign_in(app, CIAM_USER, PASSWORD)
                self.expect_tokens(result, http, CIAM_USER, CIAM_APP, tenant=CIAM_TENANT)
                claims = result["id_token_claims"]
                check(claims.get("iss") == self.host_url(CIAM_HOST, "/%s/v2.0" % CIAM_TENANT),
                      "id token iss %r" % claims.get("iss"))
                self.expect_only_token_path_carried_password(http)
                if oidc_authority:
                    return "tokens (MSAL's issuer check accepted the OpenID configuration)"
                return self.expect_silent_from_cache_then_refresh(
                    app, http, result, CIAM_USER, expected_account={
                        "home_account_id": "%s.%s" % (claims.get("oid"), CIAM_TENANT),
                        "environment": CIAM_HOST, "realm": CIAM_TENANT})
            return case

        self.run("External ID %s (path-less %s)" % (CIAM_USER, self.host_url(CIAM_HOST)),
                 signed_in(self.host_url(CIAM_HOST)))
        self.run("External ID %s (tenant id)" % CIAM_USER,
                 signed_in(self.host_url(CIAM_HOST, "/" + CIAM_TENANT)))
        self.run("External ID %s (oidc_authority)" % CIAM_USER,
                 signed_in(oidc_authority=self.host_url(CIAM_HOST, "/%s/v2.0" % CIAM_TENANT)))

        def refused(username, code, password=PASSWORD):
            def case():
                app, http = self.app_at(CIAM_APP, self.host_url(CIAM_HOST))
                result = self.sign_in(app, username, password)
                return self.expect_error(result, http, code, "invalid_grant")
            return case

        self.run("External ID %s wrong password" % CIAM_USER,
                 refused(CIAM_USER, 50126, password="not-the-password"))
        self.run("External ID unknown user", refused("nobody@" + CIAM_DOMAIN, 50034))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True,
                        help="mock-idp's base URL, e.g. https://localhost:8443")
    parser.add_argument("--ca", required=True, help="path of mock-idp's CA certificate (PEM)")
    parser.add_argument("--verbose", action="store_true", help="print tracebacks of crashes")
    parser.add_argument("--write-b2c-cache", metavar="PATH",
                        help="first, sign b2c-user in at the B2C user flow and write MSAL "
                             "Python's token cache to PATH (tests/data/README.md)")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose

    if msal.__version__ != EXPECTED_MSAL_VERSION:
        print("note: running MSAL Python %s, the conformance target is %s"
              % (msal.__version__, EXPECTED_MSAL_VERSION))
    if not os.path.isfile(args.ca):
        sys.stderr.write("no CA certificate at %s\n" % args.ca)
        return 2
    try:
        probe = requests.get(
            args.base_url.rstrip("/") + "/organizations/v2.0/.well-known/openid-configuration",
            verify=args.ca, timeout=30)
    except (requests.RequestException, OSError) as err:
        sys.stderr.write("cannot reach mock-idp at %s: %s\n" % (args.base_url, err))
        return 2
    if probe.status_code != 200:
        sys.stderr.write("mock-idp discovery answered %d\n" % probe.status_code)

    conformance = Conformance(args.base_url, args.ca)
    if args.write_b2c_cache:
        # Before any case moves the clocks, so that a seeded mock-idp gives the same file.
        conformance.run("B2C token cache file",
                        lambda: conformance.write_b2c_cache(args.write_b2c_cache))
    conformance.all_cases()
    print("msal-python: %d passed, %d failed" % (conformance.passed, conformance.failed))
    return 1 if conformance.failed else 0


if __name__ == "__main__":
    sys.exit(main())

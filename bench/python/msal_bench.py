#!/usr/bin/env python3
"""The MSAL Python (msal==1.39.0) side of `cargo xtask bench`.

Each subcommand runs one scenario and prints one JSON object per measurement on its own
stdout line, in the same shape as the Rust side (`entra-bench`):

    msal_bench.py silent  --cache FILE --probes FILE [--calls N] [--warmup N]
    msal_bench.py accounts --cache FILE --probes FILE [--calls N]
    msal_bench.py serde   --cache FILE [--rounds N]
    msal_bench.py signin  --base-url https://localhost:PORT --ca ca.pem
                          [--concurrency N] [--seconds S] [--warmup S]

- silent: loads the cache file once into a SerializableTokenCache, then times each
  `acquire_token_silent` call with time.perf_counter_ns (after untimed warm-up calls),
  cycling over the accounts named in the probe file. The application's HTTP client
  answers OIDC discovery only and fails on anything else, so every call must be served
  from the cache (also checked through `token_source`). Also reports the process's
  peak resident memory (VmHWM) after the first hit.
- accounts: loads the cache file once, then times `get_accounts` and checks it lists
  every account.
- serde: times SerializableTokenCache.deserialize and .serialize on the file's contents.
- signin: N threads, one application each, signing alice@contoso.com in against one
  mock-idp for a fixed time; counts the sign-ins completed in the measured window.
"""

import argparse
import json
import os
import sys
import threading
import time
import urllib.parse

try:
    import msal
    import requests
except ImportError as err:  # pragma: no cover - environment problem
    sys.stderr.write("msal_bench: %s (pip install msal==1.39.0)\n" % err)
    sys.exit(2)

CLI_CLIENT_ID = "00001111-aaaa-2222-bbbb-3333cccc4444"
ALICE = "alice@contoso.com"
PASSWORD = "Pa$$ w0rd&=+\u00e9"
SCOPES = ["User.Read"]
LIBRARY = "msal-python"


def peak_memory_kib():
    """VmHWM of this process in KiB (Linux), or None."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def emit(measurement):
    sys.stdout.write(json.dumps(measurement) + "\n")
    sys.stdout.flush()


def spread(samples):
    """Median, 10th and 90th percentile by nearest rank (as the Rust side)."""
    if not samples:
        return 0, 0, 0
    samples = sorted(samples)
    last = len(samples) - 1

    def rank(pct):
        return samples[(last * pct + 50) // 100]

    return rank(50), rank(10), rank(90)


class Response:
    def __init__(self, body):
        self.status_code = 200
        self.text = json.dumps(body)
        self.headers = {}

    def raise_for_status(self):
        pass


class OfflineEntra:
    """Answers OIDC discovery for the authority; any other request is an error."""

    def __init__(self, environment, tenant):
        self.base = "https://%s/%s" % (environment, tenant)

    def get(self, url, params=None, headers=None, **kwargs):
        if url.endswith("/.well-known/openid-configuration"):
            return Response({
                "authorization_endpoint": self.base + "/oauth2/v2.0/authorize",
                "token_endpoint": self.base + "/oauth2/v2.0/token",
                "issuer": self.base + "/v2.0",
            })
        raise RuntimeError("unexpected GET " + url)

    def post(self, url, **kwargs):
        raise RuntimeError("unexpected POST %s: the cache did not serve the call" % url)

    def close(self):
        pass


def cmd_silent(args):
    with open(args.probes, encoding="utf-8") as f:
        probes = json.load(f)
    with open(args.cache, encoding="utf-8") as f:
        text = f.read()
    cache = msal.SerializableTokenCache()
    started = time.perf_counter_ns()
    cache.deserialize(text)
    load_ms = (time.perf_counter_ns() - started) / 1e6
    del text
    app = msal.PublicClientApplication(
        probes["client_id"],
        authority="https://%s/%s" % (probes["environment"], probes["tenant"]),
        http_client=OfflineEntra(probes["environment"], probes["tenant"]),
        token_cache=cache,
        instance_discovery=False,
    )
    by_id = {account["home_account_id"]: account for account in app.get_accounts()}
    accounts = []
    for home_account_id in probes["home_account_ids"]:
        if home_account_id not in by_id:
            raise SystemExit("account %s is not in %s" % (home_account_id, args.cache))
        accounts.append(by_id[home_account_id])
    scopes = [probes["scope"]]
    silent = app.acquire_token_silent
    result = silent(scopes, account=accounts[0])
    if not result or result.get("token_source") != "cache":
        raise SystemExit("silent call not served from the cache: %r" % (result,))
    peak_kib = peak_memory_kib()
    for i in range(args.warmup):
        result = silent(scopes, account=accounts[i % len(accounts)])
        if not result or "access_token" not in result:
            raise SystemExit("silent call failed: %r" % (result,))
    samples = []
    clock = time.perf_counter_ns
    for i in range(args.calls):
        account = accounts[i % len(accounts)]
        started = clock()
        result = silent(scopes, account=account)
        elapsed = clock() - started
        if not result or result.get("token_source") != "cache":
            raise SystemExit("silent call not served from the cache: %r" % (result,))
        samples.append(elapsed)
    median, p10, p90 = spread(samples)
    emit({
        "scenario": "silent", "library": LIBRARY, "accounts": probes["accounts"],
        "calls": len(samples), "median_ns": median, "p10_ns": p10, "p90_ns": p90,
        "load_ms": load_ms, "peak_kib": peak_kib,
    })


def cmd_accounts(args):
    with open(args.probes, encoding="utf-8") as f:
        probes = json.load(f)
    with open(args.cache, encoding="utf-8") as f:
        text = f.read()
    cache = msal.SerializableTokenCache()
    cache.deserialize(text)
    del text
    app = msal.PublicClientApplication(
        probes["client_id"],
        authority="https://%s/%s" % (probes["environment"], probes["tenant"]),
        http_client=OfflineEntra(probes["environment"], probes["tenant"]),
        token_cache=cache,
        instance_discovery=False,
    )
    samples = []
    clock = time.perf_counter_ns
    for _ in range(args.calls):
        started = clock()
        accounts = app.get_accounts()
        elapsed = clock() - started
        if len(accounts) != probes["accounts"]:
            raise SystemExit("get_accounts listed %d accounts, %s holds %d"
                             % (len(accounts), args.cache, probes["accounts"]))
        samples.append(elapsed)
    median, p10, p90 = spread(samples)
    emit({
        "scenario": "accounts", "library": LIBRARY, "accounts": probes["accounts"],
        "calls": len(samples), "median_ns": median, "p10_ns": p10, "p90_ns": p90,
    })


def cmd_serde(args):
    with open(args.cache, encoding="utf-8") as f:
        text = f.read()
    accounts = len(json.loads(text).get("Account", {}))
    deserialize, serialize = [], []
    length = 0
    for _ in range(max(args.rounds, 1)):
        cache = msal.SerializableTokenCache()
        started = time.perf_counter_ns()
        cache.deserialize(text)
        deserialize.append(time.perf_counter_ns() - started)
        started = time.perf_counter_ns()
        out = cache.serialize()
        serialize.append(time.perf_counter_ns() - started)
        length = len(out.encode("utf-8"))
        del cache, out
    for operation, samples, size in (("deserialize", deserialize, len(text.encode("utf-8"))),
                                     ("serialize", serialize, length)):
        median, p10, p90 = spread(samples)
        emit({
            "scenario": operation, "library": LIBRARY, "accounts": accounts, "bytes": size,
            "rounds": len(samples), "median_ns": median, "p10_ns": p10, "p90_ns": p90,
        })


class LoopbackHttpClient:
    """requests.Session trusting mock-idp's CA (per request: REQUESTS_CA_BUNDLE would
    override Session.verify), putting the port back on URLs that lost it (MSAL Python
    sends user realm discovery to https://{hostname}/common/userrealm/...)."""

    def __init__(self, base_url, ca):
        self.port = urllib.parse.urlsplit(base_url).port or 443
        self.ca = ca
        self.session = requests.Session()

    def _url(self, url):
        parts = urllib.parse.urlsplit(url)
        if parts.hostname not in ("localhost", "127.0.0.1"):
            raise RuntimeError("refusing to leave this machine: " + url)
        if parts.port is None:
            parts = parts._replace(netloc="%s:%d" % (parts.hostname, self.port))
        return urllib.parse.urlunsplit(parts)

    def post(self, url, **kwargs):
        kwargs["verify"] = self.ca
        kwargs.setdefault("timeout", 30)
        return self.session.post(self._url(url), **kwargs)

    def get(self, url, **kwargs):
        kwargs["verify"] = self.ca
        kwargs.setdefault("timeout", 30)
        return self.session.get(self._url(url), **kwargs)

    def close(self):
        self.session.close()


def cmd_signin(args):
    base_url = args.base_url.rstrip("/")
    concurrency = max(args.concurrency, 1)
    lock = threading.Lock()
    tally = {"tokens": 0, "all_tokens": 0, "errors": 0, "first_error": None}
    ready = threading.Barrier(concurrency + 1)
    go = threading.Event()
    window = {}

    def fail(problem):
        with lock:
            tally["errors"] += 1
            if tally["first_error"] is None:
                tally["first_error"] = problem

    def sign_in(app):
        result = app.acquire_token_by_username_password(ALICE, PASSWORD, scopes=SCOPES)
        if "access_token" not in result:
            raise RuntimeError("%s: %s" % (result.get("error"), result.get("error_description")))

    def caller():
        try:
            app = msal.PublicClientApplication(
                CLI_CLIENT_ID, authority=base_url + "/organizations",
                http_client=LoopbackHttpClient(base_url, args.ca), instance_discovery=False)
            sign_in(app)  # fail fast, and open the keep-alive connection
        except Exception as err:  # noqa: BLE001 - reported, then this caller stops
            fail(repr(err))
            ready.wait()
            return
        ready.wait()
        go.wait()
        begin, end = window["begin"], window["end"]
        clock = time.monotonic
        while clock() < end:
            try:
                sign_in(app)
            except Exception as err:  # noqa: BLE001 - counted and reported
                fail(repr(err))
                continue
            done = clock()
            with lock:
                tally["all_tokens"] += 1
                if begin <= done < end:
                    tally["tokens"] += 1

    threads = [threading.Thread(target=caller, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    # Every caller has built its application and signed in once: open the window.
    ready.wait()
    window["begin"] = time.monotonic() + max(args.warmup, 0.0)
    window["end"] = window["begin"] + max(args.seconds, 0.1)
    cpu_before = os.times()
    go.set()
    for thread in threads:
        thread.join()
    cpu_after = os.times()
    cpu = (cpu_after.user + cpu_after.system) - (cpu_before.user + cpu_before.system)
    seconds = window["end"] - window["begin"]
    emit({
        "scenario": "signin", "library": LIBRARY, "concurrency": concurrency,
        "seconds": seconds, "tokens": tally["tokens"],
        "tokens_per_sec": tally["tokens"] / seconds, "all_tokens": tally["all_tokens"],
        "cpu_seconds": cpu, "errors": tally["errors"],
        "first_error": tally["first_error"],
    })


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    silent = sub.add_parser("silent")
    silent.add_argument("--cache", required=True)
    silent.add_argument("--probes", required=True)
    silent.add_argument("--calls", type=int, default=2000)
    silent.add_argument("--warmup", type=int, default=200)
    listing = sub.add_parser("accounts")
    listing.add_argument("--cache", required=True)
    listing.add_argument("--probes", required=True)
    listing.add_argument("--calls", type=int, default=20)
    serde = sub.add_parser("serde")
    serde.add_argument("--cache", required=True)
    serde.add_argument("--rounds", type=int, default=5)
    signin = sub.add_parser("signin")
    signin.add_argument("--base-url", required=True)
    signin.add_argument("--ca", required=True)
    signin.add_argument("--concurrency", type=int, default=1)
    signin.add_argument("--seconds", type=float, default=5.0)
    signin.add_argument("--warmup", type=float, default=1.0)
    args = parser.parse_args()
    if msal.__version__ != "1.39.0":
        sys.stderr.write("msal_bench: expected msal 1.39.0, found %s\n" % msal.__version__)
    {"silent": cmd_silent, "accounts": cmd_accounts, "serde": cmd_serde,
     "signin": cmd_signin}[args.command](args)


if __name__ == "__main__":
    main()

"""pytest fixtures that run mock-idp, an HTTPS mock of Microsoft Entra ID, for a session.

The binary is `$MOCK_IDP_BIN`, or `mock-idp` on PATH (`cargo install mock-idp`).
"""

import os
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass

import pytest
import requests


@dataclass(frozen=True)
class MockIdp:
    """A running mock-idp: where it listens and the CA certificate to trust."""

    base_url: str  # https://localhost:PORT
    ca_path: str  # PEM

    def authority(self, tenant="organizations"):
        return f"{self.base_url}/{tenant}"

    def http_client(self):
        """A requests session for MSAL Python's `http_client`: it trusts mock-idp's CA and
        puts mock-idp's port back on URLs that lost it (MSAL Python drops the port from
        its user realm discovery URL)."""
        return _MockIdpSession(self)


class _MockIdpSession(requests.Session):
    def __init__(self, idp):
        super().__init__()
        self._port = urllib.parse.urlsplit(idp.base_url).port
        self._ca_path = idp.ca_path

    def request(self, method, url, *args, **kwargs):
        parts = urllib.parse.urlsplit(url)
        if parts.hostname in ("localhost", "127.0.0.1") and parts.port is None:
            url = parts._replace(netloc=f"{parts.hostname}:{self._port}").geturl()
        # Per request: REQUESTS_CA_BUNDLE in the environment would win over self.verify.
        kwargs["verify"] = self._ca_path
        return super().request(method, url, *args, **kwargs)


def _read(process, prefix):
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"mock-idp exited ({process.wait()}) before printing its address")
    if not line.startswith(prefix):
        raise RuntimeError(f"mock-idp printed {line!r}, expected {prefix!r}...")
    return line[len(prefix):].strip()


@pytest.fixture(scope="session")
def mock_idp(tmp_path_factory):
    """Starts mock-idp on a free port with its default fixture, yields a MockIdp, stops it."""
    binary = os.environ.get("MOCK_IDP_BIN", "mock-idp")
    ca_out = tmp_path_factory.mktemp("mock-idp") / "ca.pem"
    process = subprocess.Popen(
        [binary, "--port", "0", "--ca-out", str(ca_out)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    try:
        # Its stdout contract: the base URL on the first line (printed once it is bound),
        # the CA certificate's path on the second.
        base_url = _read(process, "mock-idp listening on ")
        ca_path = _read(process, "CA certificate: ")
        # Keep reading what it prints, so that it never blocks on a full pipe.
        threading.Thread(target=process.stdout.read, daemon=True).start()
        yield MockIdp(base_url=base_url, ca_path=ca_path)
    finally:
        process.terminate()
        process.wait(timeout=10)

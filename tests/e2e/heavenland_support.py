"""Helpers for the Heavenland end-to-end tests: tokens, a WebSocket client, an HTTP server
standing in for Heavenland's account API.

Tokens are minted here with the standard library (HS256: hmac/hashlib) and the `openssl` command
(RS256, ES256: keys and signatures), so no extra Python package is needed.
"""

import base64
import hashlib
import hmac
import http.server
import json
import os
import ssl
import subprocess
import tempfile
import threading
import time

from ws_client import WsClient


# ----- tokens -----

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signing_input(alg, claims, header=None):
    head = {"alg": alg, "typ": "JWT"} if header is None else header
    return (b64url(json.dumps(head).encode()) + "." +
            b64url(json.dumps(claims).encode()))


def hs256(claims, secret="s3cret"):
    data = signing_input("HS256", claims)
    sig = hmac.new(secret.encode(), data.encode(), hashlib.sha256).digest()
    return data + "." + b64url(sig)


def alg_none(claims):
    return signing_input("none", claims) + "."


def claims(sub="HL365393213667", nickname=None, ttl=3600, **extra):
    c = {"sub": sub, "exp": int(time.time()) + ttl, "aud": "heavenland-api"}
    if nickname is not None:
        c["nickname"] = nickname
    c.update(extra)
    return c


def _der_ecdsa_to_raw(der):
    """ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs) -> JWS r || s, 32 bytes each."""
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7F)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        value = der[i + 2:i + 2 + n].lstrip(b"\x00")
        out += value.rjust(32, b"\x00")
        i += 2 + n
    return out


class OpensslKeys:
    """A key pair made with the openssl command, in a temporary directory."""

    def __init__(self, kind):
        self.dir = tempfile.mkdtemp(prefix="parley-hl-keys-")
        self.kind = kind
        self.private = os.path.join(self.dir, "private.pem")
        self.public = os.path.join(self.dir, "public.pem")
        if kind == "RS256":
            gen = ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
        else:
            gen = ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
        subprocess.run(gen + ["-out", self.private], check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", self.private, "-pubout", "-out", self.public],
                       check=True, capture_output=True)

    def token(self, claims_):
        data = signing_input(self.kind, claims_)
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.private],
                             input=data.encode(), check=True, capture_output=True).stdout
        if self.kind == "ES256":
            sig = _der_ecdsa_to_raw(sig)
        return data + "." + b64url(sig)


# ----- a WebSocket client -----

class Client(WsClient):
    """A Heavenland chat or minigame client (ws_client.WsClient, no message size limit)."""

    @classmethod
    async def open(cls, url):
        return await super().open(url, max_size=None)

    async def ask(self, obj, what=None):
        """Sends obj and returns the next frame."""
        await self.send(obj)
        return await self.next(what=what or json.dumps(obj))

    async def login(self, token):
        reply = await self.ask({"action": "login", "token": token})
        assert reply == {"info": "connected"}, reply
        return reply


# ----- a stand-in for Heavenland's account API -----

class AccountApi:
    """GET <prefix>/<sub>: {"nickname"} for known subs, 404, an error, or a slow answer.

    accounts: sub -> nickname; "slow" sleeps `slow_s`; "err" answers 403 with an errorMessage.
    Requests are recorded as (path, Authorization header). tls=(cert, key) serves https.
    """

    def __init__(self, accounts, slow_s=3.0, tls=None):
        self.accounts = accounts
        self.requests = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                api.requests.append((self.path, self.headers.get("Authorization")))
                sub = self.path.rsplit("/", 1)[-1]
                if sub == "slow":
                    time.sleep(slow_s)
                    return self._json(200, {"nickname": "Too Late"})
                if sub == "err":
                    return self._json(403, {"statusCode": 403, "statusDescription": "error",
                                            "errorMessage": "account is locked"})
                if sub in api.accounts:
                    return self._json(200, {"id": sub, "nickname": api.accounts[sub]})
                return self._json(404, {"statusCode": 404, "errorMessage": "not found"})

            def _json(self, status, body):
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, scheme="http", host="127.0.0.1"):
        return "%s://%s:%d/idm/accounts" % (scheme, host, self.port)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def self_signed_cert(directory, host="localhost"):
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=" + host,
                    "-addext", "subjectAltName=DNS:" + host],
                   check=True, capture_output=True)
    return cert, key

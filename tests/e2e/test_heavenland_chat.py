"""Heavenland chat end to end: the real binary, Python websockets clients speaking the seed's
protocol (login, message, history), every error string, durability across restart and kill -9.

Run: /usr/bin/python3 -m unittest -v tests/e2e/test_heavenland_chat.py   (needs PARLEY_BIN)
"""

import asyncio
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from parley_server import ParleyServer  # noqa: E402
from heavenland_support import (AccountApi, Client, OpensslKeys, alg_none, b64url,  # noqa: E402
                                claims, hs256, self_signed_cert, signing_input)
from ws_client import RawWs, free_port, write_config  # noqa: E402

BASE_CONFIG = """
[auth]
jwt_secret = "s3cret"
jwt_audience = "heavenland-api"
"""

E = {
    "auth": "you need to authenticate first",
    "fields": "username and password or token have to be provided with action of type login",
    "invalid": "the access token is expired or invalid",
    "parse": "error parsing the access token",
    "timeout": "Heavenland API request timeout, please try again",
    "no_user_token": "could not find user with given token (maybe token from different environment?)",
    "credentials": "invalid credentials",
    "rate": "too many login attempts, please try again later",
    "pending": "login already in progress",
    "not_json": "the message is not valid JSON",
    "not_object": "the message has to be a JSON object",
    "message": "message has to be a string",
    "channel": "channel has to be a string of 1 to 200 bytes or an integer",
    "limit": "limit has to be a non-negative integer",
    "offset": "offset has to be a non-negative integer",
}


def err(key):
    return {"error": E[key]}


class HeavenlandTest(unittest.IsolatedAsyncioTestCase):
    config = BASE_CONFIG
    extra_args = ()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parley-hl-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.config_file = write_config(self.tmp, self.config)
        self.server = self.start_server(self.config_file)

    def start_server(self, config_file, env=None, data_dir=None):
        saved = dict(os.environ)
        if env:
            os.environ.update(env)
        try:
            server = ParleyServer(args=["--config", config_file, "--threads", "2",
                                        *self.extra_args], data_dir=data_dir).start()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.addCleanup(server.close)
        self.addCleanup(server.stop)
        return server

    def url(self, path="/chat", server=None):
        return (server or self.server).ws_url + path

    async def open(self, server=None):
        c = await Client.open(self.url(server=server))
        self.addAsyncCleanup(c.close)
        return c

    def log_has(self, text, server=None):
        return text in (server or self.server).log


class LoginAndChat(HeavenlandTest):
    async def test_three_clients_chat(self):
        a, b, c = await self.open(), await self.open(), await self.open()
        anonymous = await self.open()
        await a.login(hs256(claims("HL1", "Great Heavenland Hero")))
        await b.login(hs256(claims("HL2", "Second")))
        await c.login(hs256(claims("HL3")))  # no nickname claim and no account URL: the sub

        before = int(time.time())
        await a.send({"action": "message", "message": "hello all", "channel": "General"})
        got = [await x.next(what="a's message") for x in (a, b, c)]
        self.assertEqual(got[0], got[1])
        self.assertEqual(got[0], got[2])
        m = got[0]
        self.assertEqual(list(m.keys()), ["user_id", "timestamp", "message", "channel", "nickname"])
        self.assertEqual(m["user_id"], "HL1")
        self.assertEqual(m["message"], "hello all")
        self.assertEqual(m["channel"], "General")
        self.assertEqual(m["nickname"], "Great Heavenland Hero")
        self.assertIsInstance(m["timestamp"], int)
        self.assertTrue(before <= m["timestamp"] <= int(time.time()), m)

        # An integer channel becomes a string; extra keys are kept; no channel: no key.
        await b.send({"action": "message", "message": "int channel", "channel": 5, "color": "red",
                      "meta": {"x": [1, 2]}})
        m2 = await c.next(what="b's message")
        self.assertEqual(await a.next(), m2)
        self.assertEqual(await b.next(), m2)
        self.assertEqual(m2["channel"], "5")
        self.assertEqual(m2["color"], "red")
        self.assertEqual(m2["meta"], {"x": [1, 2]})
        self.assertEqual(m2["nickname"], "Second")
        self.assertEqual(list(m2.keys()),
                         ["user_id", "timestamp", "message", "channel", "color", "meta", "nickname"])
        await c.send({"action": "message", "message": "no channel", "user_id": "spoofed",
                      "nickname": "spoofed"})
        m3 = await c.next()
        self.assertEqual(m3, {"user_id": "HL3", "timestamp": m3["timestamp"],
                              "message": "no channel", "nickname": "HL3"})
        self.assertEqual(await a.next(), m3)
        self.assertEqual(await b.next(), m3)
        self.assertEqual(await anonymous.quiet(), [])
        self.assertEqual(anonymous.frames, [])

    async def test_rs256_and_es256_tokens(self):
        for kind in ("RS256", "ES256"):
            with self.subTest(kind=kind):
                keys = await asyncio.to_thread(OpensslKeys, kind)
                self.addCleanup(shutil.rmtree, keys.dir, True)
                cfg = write_config(tempfile.mkdtemp(dir=self.tmp), """
[auth]
jwt_public_key = "%s"
jwt_audience = "heavenland-api"
""" % keys.public)
                server = self.start_server(cfg)
                c = await self.open(server)
                await c.login(await asyncio.to_thread(keys.token, claims("HL9", "Nine")))
                self.assertIn("tokens accepted: " + kind, server.log)
                await c.send({"action": "message", "message": kind})
                self.assertEqual((await c.next())["nickname"], "Nine")
                d = await self.open(server)
                self.assertEqual(await d.ask({"action": "login", "token": hs256(claims())}),
                                 err("invalid"))  # no secret configured
                self.assertEqual(await d.ask({"action": "login",
                                              "token": await asyncio.to_thread(
                                                  keys.token, claims(ttl=-10))}),
                                 err("invalid"))
                await asyncio.to_thread(server.stop)

    async def test_every_login_error_string(self):
        c = await self.open()
        self.assertEqual(await c.ask({"action": "message", "message": "x"}), err("auth"))
        self.assertEqual(await c.ask({"action": "history"}), err("auth"))
        self.assertEqual(await c.ask({"something": "else"}), err("auth"))
        self.assertEqual(await c.ask({"action": "login"}), err("fields"))
        self.assertEqual(await c.ask({"action": "login", "username": "u"}), err("fields"))
        self.assertEqual(await c.ask({"action": "login", "token": hs256(claims(ttl=-5))}),
                         err("invalid"))  # expired
        wrong_aud = claims()
        wrong_aud["aud"] = "other-api"
        self.assertEqual(await c.ask({"action": "login", "token": hs256(wrong_aud)}),
                         err("invalid"))
        # Not a JWT at all, or broken parts.
        c2 = await self.open()  # a second socket: five attempts per socket per minute
        self.assertEqual(await c2.ask({"action": "login", "token": hs256(claims(), "wrong")}),
                         err("invalid"))  # wrong signature
        self.assertEqual(await c2.ask({"action": "login", "token": alg_none(claims())}),
                         err("invalid"))
        self.assertEqual(await c2.ask({"action": "login", "token": "HeavenlandAccessToken"}),
                         err("parse"))
        self.assertEqual(await c2.ask({"action": "login", "token": "a.b.c"}), err("parse"))
        no_sub = claims()
        del no_sub["sub"]
        self.assertEqual(await c2.ask({"action": "login", "token": hs256(no_sub)}),
                         err("no_user_token"))
        # Every failure leaves the socket usable and unauthenticated.
        self.assertEqual(await c2.ask({"action": "history"}), err("auth"))
        self.assertTrue(self.log_has("token refused: expired"))
        self.assertTrue(self.log_has("token refused: alg none"))
        self.assertTrue(self.log_has("token refused: bad signature"))

    async def test_not_json_and_wrong_types(self):
        c = await self.open()
        self.assertEqual(await c.ask("this is not json"), err("not_json"))
        self.assertEqual(await c.ask("[1, 2, 3]"), err("not_object"))
        self.assertEqual(await c.ask('"login"'), err("not_object"))
        await c.login(hs256(claims("HL1", "One")))
        self.assertEqual(await c.ask("{broken"), err("not_json"))
        self.assertEqual(await c.ask("42"), err("not_object"))
        self.assertEqual(await c.ask({"action": "message"}), err("message"))
        self.assertEqual(await c.ask({"action": "message", "message": 5}), err("message"))
        for channel in (True, 1.5, [], {}, "", "c" * 201):
            self.assertEqual(await c.ask({"action": "message", "message": "m",
                                          "channel": channel}), err("channel"), channel)
        for value in (-1, 1.5, "3", None, [], {}):
            self.assertEqual(await c.ask({"action": "history", "limit": value}), err("limit"),
                             value)
            self.assertEqual(await c.ask({"action": "history", "offset": value}), err("offset"),
                             value)
        # Unknown actions after login are ignored, as the original did (and login again).
        await c.send({"action": "dance"})
        await c.send({"no_action": 1})
        await c.send({"action": "login", "token": "whatever"})
        self.assertEqual(await c.quiet(), [])
        self.assertEqual(await c.ask({"action": "history", "limit": 1}), {"history": []})
        self.assertTrue(self.log_has("the message is not valid JSON"))

    async def test_huge_binary_and_abrupt_clients_do_not_hurt_others(self):
        a = await self.open()
        await a.login(hs256(claims("HL1", "One")))
        big = await self.open()
        await big.login(hs256(claims("HL2", "Two")))
        await big.send({"action": "message", "message": "x" * (70 * 1024)})  # over 64 KiB
        self.assertEqual((await big.wait_closed())[0], 1009)
        binary = await self.open()
        await binary.send(b"\x00\x01")
        self.assertEqual((await binary.wait_closed())[0], 1003)
        # A client that vanishes without a close frame.
        raw = await asyncio.to_thread(RawWs, self.server.port, "/chat", None)
        self.assertIn("101", raw.response)
        raw.close()
        # The others are still served; the huge message was not broadcast.
        await a.send({"action": "message", "message": "still here"})
        self.assertEqual((await a.next())["message"], "still here")
        self.assertEqual(len(a.frames), 2, a.frames)  # "connected", "still here"
        self.assertTrue(self.log_has("close 1009") or self.log_has("code=1009"))


class History(HeavenlandTest):
    config = BASE_CONFIG + """
[heavenland]
history_limit = 12
"""

    async def test_history_limit_offset_newest_first_across_channels(self):
        a, b = await self.open(), await self.open()
        await a.login(hs256(claims("HL1", "One")))
        await b.login(hs256(claims("HL2", "Two")))
        self.assertEqual(await a.ask({"action": "history"}), {"history": []})
        sent = []
        for i in range(15):
            sender = a if i % 2 == 0 else b
            msg = {"action": "message", "message": "m%d" % i}
            if i % 3 == 1:
                msg["channel"] = "General"
            elif i % 3 == 2:
                msg["channel"] = i
            await sender.send(msg)
            got = await sender.next(what="broadcast of m%d" % i)
            other = await (b if sender is a else a).next()
            self.assertEqual(got, other)
            sent.append(got)
        newest_first = list(reversed(sent))
        self.assertEqual(await a.ask({"action": "history"}), {"history": newest_first[:10]})
        self.assertEqual(await a.ask({"action": "history", "limit": 3, "offset": 2}),
                         {"history": newest_first[2:5]})
        self.assertEqual(await a.ask({"action": "history", "limit": 1}),
                         {"history": newest_first[:1]})
        # Capped at history_limit, the number kept.
        self.assertEqual(await a.ask({"action": "history", "limit": 100}),
                         {"history": newest_first[:12]})
        self.assertEqual(await a.ask({"action": "history", "limit": 5, "offset": 10}),
                         {"history": newest_first[10:12]})
        self.assertEqual(await a.ask({"action": "history", "offset": 12}), {"history": []})
        self.assertEqual(await a.ask({"action": "history", "limit": 0}), {"history": []})
        # No channel key on messages sent without one, in history too.
        for m in newest_first[:12]:
            self.assertEqual("channel" in m, m["message"] not in ("m0", "m3", "m6", "m9", "m12"))

    async def test_history_survives_restart_and_kill_9(self):
        a = await self.open()
        await a.login(hs256(claims("HL1", "One")))
        sent = []

        async def send_some(client, n, tag):
            for i in range(n):
                msg = {"action": "message", "message": "%s-%d" % (tag, i)}
                if i % 2:
                    msg["channel"] = "General"
                await client.send(msg)
            for _ in range(n):
                sent.append(await client.next(what="a broadcast"))

        await send_some(a, 5, "before-term")
        await a.close()
        self.assertEqual(await asyncio.to_thread(self.server.stop, signal.SIGTERM), 0)
        self.server.start()
        a = await self.open()
        await a.login(hs256(claims("HL1", "One")))
        self.assertEqual(await a.ask({"action": "history", "limit": 12}),
                         {"history": list(reversed(sent))})

        # kill -9 right after the broadcasts arrived: everything broadcast was committed.
        await send_some(a, 6, "before-kill")
        self.assertEqual(await asyncio.to_thread(self.server.stop, signal.SIGKILL), -signal.SIGKILL)
        self.server.start()
        b = await self.open()
        await b.login(hs256(claims("HL2", "Two")))
        self.assertEqual(await b.ask({"action": "history", "limit": 12}),
                         {"history": list(reversed(sent))[:12]})
        self.assertEqual(len(sent), 11)
        # Offsets continue after the restart: a new message is newest.
        await b.send({"action": "message", "message": "after"})
        after = await b.next()
        self.assertEqual((await b.ask({"action": "history", "limit": 2}))["history"],
                         [after, sent[-1]])


class Durability(HeavenlandTest):
    config = BASE_CONFIG + """
[heavenland]
history_limit = 1000
"""

    async def test_kill_9_under_load_loses_nothing_broadcast(self):
        observer = await self.open()
        await observer.login(hs256(claims("HL0", "Observer")))
        senders = []
        for i in range(3):
            c = await self.open()
            await c.login(hs256(claims("HL%d" % (i + 1), "Sender %d" % i)))
            senders.append(c)

        async def burst(tag, n):
            for k in range(n):
                for i, c in enumerate(senders):
                    msg = {"action": "message", "message": "%s-%d-%d" % (tag, i, k)}
                    if k % 2:
                        msg["channel"] = "room%d" % i
                    await c.send(msg)

        async def observed(count):
            while len(observer.frames) - 1 < count:  # frames[0] is "connected"
                await asyncio.sleep(0.01)

        # 300 messages, all broadcast, then kill -9: history is exactly what was broadcast.
        await burst("a", 100)
        await asyncio.wait_for(observed(300), 20)
        seen = observer.frames[1:]
        await asyncio.to_thread(self.server.stop, signal.SIGKILL)
        self.server.start()
        c = await self.open()
        await c.login(hs256(claims("HL9", "Nine")))
        self.assertEqual(await c.ask({"action": "history", "limit": 1000}),
                         {"history": list(reversed(seen))})

        # kill -9 in the middle of a burst: whatever anyone received is in history, in order.
        observer = c
        senders = []
        for i in range(3):
            s_ = await self.open()
            await s_.login(hs256(claims("HL%d" % (i + 1), "Sender %d" % i)))
            senders.append(s_)
        sending = asyncio.get_running_loop().create_task(burst("b", 200))
        await asyncio.wait_for(observed(100), 20)
        await asyncio.to_thread(self.server.stop, signal.SIGKILL)
        seen_before_kill = [f for f in observer.frames[2:] if "message" in f]
        sending.cancel()
        try:
            await sending
        except (asyncio.CancelledError, Exception):
            pass
        self.server.start()
        d = await self.open()
        await d.login(hs256(claims("HL9", "Nine")))
        history = list(reversed((await d.ask({"action": "history", "limit": 1000}))["history"]))
        self.assertEqual(history[:300], seen)
        after = history[300:]
        self.assertGreaterEqual(len(after), len(seen_before_kill))
        self.assertEqual(after[:len(seen_before_kill)], seen_before_kill)


class RateLimits(HeavenlandTest):
    config = BASE_CONFIG + """
[heavenland]
login_attempts_per_connection = 3
login_attempts_per_address = 5
login_window = "1m"
"""

    async def test_login_flood_per_connection_and_per_address(self):
        ok = await self.open()
        await ok.login(hs256(claims("HL1", "One")))  # 1 of the address's 5
        c = await self.open()
        for _ in range(3):
            self.assertEqual(await c.ask({"action": "login", "token": "bad"}), err("parse"))
        self.assertEqual(await c.ask({"action": "login", "token": "bad"}), err("rate"))
        self.assertEqual(await c.ask({"action": "login", "token": hs256(claims())}), err("rate"))
        d = await self.open()  # the address has 1 attempt left
        self.assertEqual(await d.ask({"action": "login", "token": "bad"}), err("parse"))
        self.assertEqual(await d.ask({"action": "login", "token": hs256(claims())}), err("rate"))
        self.assertTrue(self.log_has("login rate limit"))
        # A flood of them changes nothing for those logged in.
        for _ in range(200):
            await d.send({"action": "login", "token": "bad"})
        for _ in range(200):
            self.assertEqual(await d.next(), err("rate"))
        await ok.send({"action": "message", "message": "fine"})
        self.assertEqual((await ok.next())["message"], "fine")


class PasswordLogin(HeavenlandTest):
    async def users(self, *args, password=None):
        return await asyncio.to_thread(self._users, *args, password=password)

    def _users(self, *args, password=None):
        return subprocess.run([os.environ["PARLEY_BIN"], "users", *args, "--data-dir",
                               self.server.data_dir],
                              input=(password + "\n") if password is not None else "",
                              capture_output=True, text=True, timeout=30)

    async def test_users_cli_and_password_login(self):
        r = await self.users("add", "ann", "--nickname", "Ann of Heavenland", password="s3cret pw")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "added ann\n")
        self.assertEqual((await self.users("add", "bob", password="pw2")).returncode, 0)
        dup = await self.users("add", "ann", password="x")
        self.assertEqual(dup.returncode, 1)
        self.assertIn("ann exists", dup.stderr)
        self.assertEqual((await self.users("add", "bad name", password="x")).returncode, 1)
        self.assertEqual((await self.users("add", "nopw")).returncode, 1)
        listed = await self.users("list")
        self.assertEqual(listed.returncode, 0)
        lines = [line.split("\t") for line in listed.stdout.splitlines()]
        self.assertEqual([(l[0], l[1]) for l in lines], [("ann", "Ann of Heavenland"), ("bob", "bob")])

        c = await self.open()
        self.assertEqual(await c.ask({"action": "login", "username": "ann", "password": "nope"}),
                         err("credentials"))
        self.assertEqual(await c.ask({"action": "login", "username": "zed", "password": "x"}),
                         {"error": "could not find user with username zed"})
        self.assertEqual(await c.ask({"action": "login", "username": "ann",
                                      "password": "s3cret pw"}), {"info": "connected"})
        await c.send({"action": "message", "message": "hi"})
        m = await c.next()
        self.assertEqual((m["user_id"], m["nickname"]), ("ann", "Ann of Heavenland"))

        r = await self.users("remove", "ann")
        self.assertEqual((r.returncode, r.stdout), (0, "removed ann\n"))
        self.assertEqual((await self.users("remove", "ann")).returncode, 1)
        d = await self.open()
        self.assertEqual(await d.ask({"action": "login", "username": "ann",
                                      "password": "s3cret pw"}),
                         {"error": "could not find user with username ann"})

        # The store cannot be read (its table is gone): the original's "unavailable".
        db = sqlite3.connect(os.path.join(self.server.data_dir, "parley.db"), timeout=10)
        db.execute("DROP TABLE users")
        db.commit()
        db.close()
        self.assertEqual(await d.ask({"action": "login", "username": "bob", "password": "pw2"}),
                         {"error": "heavenland authentication server is unavailable"})
        # Messages are stored in the same file, untouched.
        await c.send({"action": "message", "message": "still stored"})
        self.assertEqual((await c.next())["message"], "still stored")


class AccountLookup(HeavenlandTest):
    config = None  # per test

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="parley-hl-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def serve(self, api_url, timeout="500ms", env=None):
        cfg = write_config(self.tmp, BASE_CONFIG + """
account_url = "%s"
account_timeout = "%s"
""" % (api_url, timeout))
        self.server = self.start_server(cfg, env=env)
        return self.server

    async def test_nickname_from_the_account_api_and_its_errors(self):
        api = AccountApi({"HL1": "Great Heavenland Hero"})
        self.addCleanup(api.close)
        self.serve(api.url())
        c = await self.open()
        token = hs256(claims("HL1"))
        await c.login(token)
        self.assertEqual(api.requests, [("/idm/accounts/HL1", "Bearer " + token)])
        await c.send({"action": "message", "message": "hi"})
        self.assertEqual((await c.next())["nickname"], "Great Heavenland Hero")
        # A nickname claim wins: no lookup.
        d = await self.open()
        await d.login(hs256(claims("HL1", "From Token")))
        self.assertEqual(len(api.requests), 1)

        e = await self.open()
        self.assertEqual(await e.ask({"action": "login", "token": hs256(claims("missing"))}),
                         err("no_user_token"))
        self.assertEqual(await e.ask({"action": "login", "token": hs256(claims("err"))}),
                         {"error": "account is locked"})
        # Slow: the timeout answers while the API still sleeps; a second login meanwhile waits.
        f = await self.open()
        await f.send({"action": "login", "token": hs256(claims("slow"))})
        self.assertEqual(await f.ask({"action": "login", "token": hs256(claims("HL1"))}),
                         err("pending"))
        self.assertEqual(await f.next(), err("timeout"))
        self.assertEqual(await f.ask({"action": "history"}), err("auth"))
        # Others were served while the lookup waited.
        await c.send({"action": "message", "message": "during"})
        self.assertEqual((await c.next())["message"], "during")

    async def test_unreachable_account_api(self):
        port = free_port()  # nothing listens on it
        self.serve("http://127.0.0.1:%d/idm/accounts" % port)
        c = await self.open()
        self.assertEqual(await c.ask({"action": "login", "token": hs256(claims("HL1"))}),
                         err("timeout"))
        self.assertTrue(self.log_has("account lookup"))

    async def test_https_account_api_certificate_checked(self):
        cert, key = await asyncio.to_thread(self_signed_cert, self.tmp)
        api = AccountApi({"HL1": "Over TLS"}, tls=(cert, key))
        self.addCleanup(api.close)
        # Trusted through SSL_CERT_FILE: the lookup works, the host name matches.
        self.serve(api.url("https", "localhost"), timeout="3s", env={"SSL_CERT_FILE": cert})
        c = await self.open()
        await c.login(hs256(claims("HL1")))
        await c.send({"action": "message", "message": "tls"})
        self.assertEqual((await c.next())["nickname"], "Over TLS")
        await asyncio.to_thread(self.server.stop)
        # Not trusted: refused (the API is never asked).
        asked = len(api.requests)
        self.serve(api.url("https", "localhost"), timeout="3s",
                   env={"SSL_CERT_FILE": os.path.join(self.tmp, "missing.pem")})
        d = await self.open()
        self.assertEqual(await d.ask({"action": "login", "token": hs256(claims("HL1"))}),
                         err("timeout"))
        self.assertEqual(len(api.requests), asked)
        self.assertTrue(self.log_has("TLS handshake"))


if __name__ == "__main__":
    unittest.main()

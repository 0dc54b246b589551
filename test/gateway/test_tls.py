"""TLS: with --tls-cert/--tls-key the gateway serves wss:// and https:// (a throwaway
self-signed certificate made with openssl)."""

import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import GatewayCase, async_test


def make_cert(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-subj", "/CN=localhost", "-days", "1",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


class Tls(GatewayCase):

    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("openssl is not installed")
        cls.tmp = tempfile.mkdtemp(prefix="livegw-tls-")
        cls.GW_TLS = make_cert(cls.tmp)
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @async_test(30)
    async def test_wss_welcome_and_comment(self):
        self.assertEqual(self.gw.scheme, "wss")
        a = await self.connect("tls-room", "ua")
        b = await self.connect("tls-room", "ub")
        self.assertEqual((a.welcome["uid"], a.welcome["room"]), ("ua", "tls-room"))
        self.assertEqual(b.welcome["online"], 2)
        await a.send({"t": "comment", "text": "over tls"})
        m = await b.wait_msg(lambda m: m.get("t") == "comment")
        self.assertEqual((m["uid"], m["text"], m["seq"]), ("ua", "over tls", 1))

    def test_https_endpoints(self):
        st, _, body = self.gw.http("GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertIn(b'"ok":true', body)
        st, _, _ = self.gw.http("GET", "/metrics")
        self.assertEqual(st, 200)
        # Refusals work over TLS too.
        st, _, _ = self.gw.handshake(harness.ws_query("tls-room", "bad.token"))
        self.assertEqual(st, 401)

    def test_plain_http_is_not_served(self):
        plain = harness.Gateway()
        plain.port = self.gw.port
        try:
            st, _, _ = plain.http("GET", "/healthz", timeout=3)
        except (OSError, harness.http.client.HTTPException):
            return
        self.assertNotEqual(st, 200)


if __name__ == "__main__":
    harness.main()

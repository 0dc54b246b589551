"""The sensitive-word filter at the edge: listed words masked (or refused with
`blocked`, as configured), hosts not filtered, the list reloaded on SIGHUP without
dropping anyone, and a list that does not load keeping the old one."""

import asyncio
import os
import signal
import tempfile

import harness
from harness import GatewayCase, async_test


def word_file(words):
    fd, path = tempfile.mkstemp(prefix="livegw-words-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write("# test list\n" + "\n".join(words) + "\n")
    return path


class WordsCase(GatewayCase):
    """A gateway with the word list file cls.WORDS, removed after the class."""

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            os.unlink(cls.WORDS)


class WordsMask(WordsCase):
    WORDS = word_file(["傻逼", "spam"])
    GW_ARGS = ["--words", WORDS]

    async def reload(self, words):
        with open(self.WORDS, "w", encoding="utf-8") as f:
            f.write("\n".join(words) + "\n")
        self.gw.proc.send_signal(signal.SIGHUP)
        await asyncio.sleep(0.5)

    @async_test(30)
    async def test_mask_and_reload(self):
        room = "w1"
        host = await self.connect(room, "h", role="host")
        a = await self.connect(room, "a")
        b = await self.connect(room, "b")
        await a.send({"t": "comment", "text": "你是傻 逼吗"})
        m = await b.wait_msg(lambda m: m.get("t") == "comment" and m["uid"] == "a")
        self.assertEqual(m["text"], "你是***吗")
        await a.send({"t": "comment", "text": "buy SPAM now"})
        m = await b.wait_msg(lambda m: m.get("t") == "comment" and "now" in m["text"])
        self.assertEqual(m["text"], "buy **** now")
        # Hosts are not filtered.
        await host.send({"t": "comment", "text": "spam is a word"})
        m = await b.wait_msg(lambda m: m.get("uid") == "h")
        self.assertEqual(m["text"], "spam is a word")
        self.assertGreaterEqual(
            self.gw.metric('livegw_comments_filtered_total{action="masked"}'), 2)

        # SIGHUP: a new list, nobody dropped.
        await self.reload(["ham"])
        await asyncio.sleep(1.1)  # the comment rate limit (1/s, burst 5)
        await a.send({"t": "comment", "text": "spam and ham"})
        m = await b.wait_msg(lambda m: m.get("t") == "comment" and "and" in m["text"])
        self.assertEqual(m["text"], "spam and ***")
        # A list that does not load keeps the current one.
        with open(self.WORDS, "wb") as f:
            f.write(b"\xff\xfe bad utf-8\n")
        self.gw.proc.send_signal(signal.SIGHUP)
        await asyncio.sleep(0.5)
        await a.send({"t": "comment", "text": "more ham"})
        m = await b.wait_msg(lambda m: m.get("t") == "comment" and "more" in m["text"])
        self.assertEqual(m["text"], "more ***")
        self.assertIn("not reloaded", self.gw.log())
        self.assertFalse(a.closed.is_set() or b.closed.is_set() or host.closed.is_set())


class WordsRefuse(WordsCase):
    WORDS = word_file(["加微信"])
    GW_ARGS = ["--words", WORDS, "--words-action", "refuse"]

    @async_test(30)
    async def test_refuse(self):
        room = "w2"
        a = await self.connect(room, "a")
        b = await self.connect(room, "b")
        await a.send({"t": "comment", "text": "私聊 加 微 信", "req": "c1"})
        err = await a.wait_msg(lambda m: m.get("req") == "c1")
        self.assertEqual((err["t"], err["code"]), ("error", "blocked"))
        await a.send({"t": "comment", "text": "fine"})
        await b.wait_msg(lambda m: m.get("text") == "fine")
        self.assertEqual([m for m in b.of("comment") if "私聊" in m["text"]], [])


class WordsBadList(harness.unittest.TestCase):
    def test_bad_list_refuses_to_start(self):
        path = word_file(["ok", "!!!"])  # a line with nothing that can match
        try:
            gw = harness.Gateway(["--words", path])
            with self.assertRaises(RuntimeError) as e:
                gw.start(timeout=10)
            self.assertIn("line 3", str(e.exception))
            gw.cleanup()
        finally:
            os.unlink(path)


if __name__ == "__main__":
    harness.main()

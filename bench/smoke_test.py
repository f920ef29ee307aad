"""Smoke run of the benchmark tools (ctest label `bench`): the load generator against the real
Parley binary with small N for a few seconds, checking that it measures correctly: every message
delivered to every subscriber exactly once (delivered = sent x subscribers), nothing lost,
duplicated or reordered. No timing is asserted.

Env (set by ctest): PARLEY_BIN, LOADGEN_BIN, CEILING_BIN, PARLEY_ROOT.
Run by hand: PARLEY_BIN=build/parley LOADGEN_BIN=build/bench/loadgen \
    CEILING_BIN=build/bench/ceiling /usr/bin/python3 -m unittest -v bench.smoke_test
"""

import json
import os
import subprocess
import sys
import unittest

ROOT = os.environ.get("PARLEY_ROOT", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from parley_server import ParleyServer  # noqa: E402


def loadgen(server, *args):
    cmd = [os.environ["LOADGEN_BIN"], "--proto", "phoenix", "--port", str(server.port),
           "--server-pid", str(server.proc.pid), *args]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError(f"loadgen exited {p.returncode}: {p.stderr}")
    return json.loads(p.stdout)


class LoadgenSmoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = ParleyServer(args=["--threads", "1"]).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def check_run(self, run, receivers):
        self.assertGreater(run["sent"], 0)
        self.assertEqual(run["expected"], run["sent"] * receivers)
        self.assertEqual(run["delivered"], run["expected"], run)
        self.assertEqual(run["lost"], 0, run)
        self.assertEqual(run["duplicated"], 0, run)
        self.assertEqual(run["reordered"], 0, run)
        self.assertEqual(run["disconnected"], 0, run)
        self.assertGreater(run["p50_us"], 0)
        self.assertLessEqual(run["p50_us"], run["p99_us"])
        self.assertLessEqual(run["p99_us"], run["max_us"])
        self.assertGreater(run["server_cpu_s"], 0)  # read from /proc/<pid>/stat
        self.assertGreater(run["server_rss_kib"], 0)
        self.assertTrue(run["cdf"], "a CDF is reported")

    def test_fanout_delivers_every_message_to_every_subscriber(self):
        subs = 30
        r = loadgen(self.server, "fanout", "--subs", str(subs), "--rates", "100,200",
                    "--run-s", "1", "--repeats", "2", "--warmup-s", "0.2")
        self.assertEqual(r["setup"]["ready"], subs + 1)  # the subscribers and the publisher
        self.assertEqual(len(r["runs"]), 4)
        self.assertEqual([run["sent"] for run in r["runs"]], [100, 100, 200, 200])
        for run in r["runs"]:
            self.check_run(run, subs)

    def test_rooms_deliver_to_each_room_only(self):
        conns, size = 40, 10
        r = loadgen(self.server, "rooms", "--conns", str(conns), "--room-size", str(size),
                    "--rate-each", "5", "--run-s", "1", "--repeats", "1", "--warmup-s", "0")
        self.assertEqual(r["rooms"], conns // size)
        run = r["runs"][0]
        self.assertEqual(run["sent"], conns * 5)
        self.check_run(run, size)  # each message reaches the 10 members of its room

    def test_search_finds_a_rate_when_nothing_is_lost(self):
        # The latency limit is lifted, so that the outcome depends on the accounting only.
        r = loadgen(self.server, "--p99-limit-ms", "1000000", "fanout", "--subs", "10",
                    "--search", "--start-rate", "50", "--max-rate", "100", "--step-s", "0.3",
                    "--refine", "0", "--run-s", "0.3", "--repeats", "1", "--warmup-s", "0")
        self.assertEqual(r["max_rate"], 100)
        self.assertEqual([s["rate"] for s in r["search"]], [50, 100])
        self.check_run(r["at_max"][0] | {"cdf": [1]}, 10)

    def test_idle_and_storm_report_connections(self):
        r = loadgen(self.server, "idle", "--conns", "50", "--hold-s", "0.2")
        self.assertEqual(r["ready"], 50)
        self.assertGreater(r["server_rss_after_kib"], 0)
        r = loadgen(self.server, "storm", "--conns", "50")
        self.assertEqual(r["connect"]["ready"], 50)
        self.assertEqual(r["reconnect"]["ready"], 50)
        self.assertEqual(r["reconnect"]["failed"], 0)

    def test_ceiling_writes_and_reads_frames(self):
        p = subprocess.run([os.environ["CEILING_BIN"], "--conns", "8", "--batch", "4",
                            "--seconds", "0.3", "--writer-cpu", "-1", "--reader-cpu", "-1"],
                           stdout=subprocess.PIPE, text=True, timeout=60, check=True)
        r = json.loads(p.stdout)
        self.assertEqual(r["conns"], 8)
        self.assertGreater(r["frames_per_s"], 0)
        self.assertGreater(r["read_bytes_per_s"], 0)


if __name__ == "__main__":
    unittest.main()

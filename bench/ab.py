#!/usr/bin/env python3
# A/B: server CPU per delivery, fan-out to 1000 Phoenix subscribers at a fixed rate, old vs new
# parley binary, measured in alternation (for a shared machine, where only CPU per delivery is
# comparable). Usage: bench/ab.py OLD_PARLEY NEW_PARLEY LOADGEN [rounds=3] [rate=1000]
import json, os, socket, subprocess, sys, tempfile, time, statistics
old, new, lg = sys.argv[1:4]
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 3
rate = sys.argv[5] if len(sys.argv) > 5 else "1000"
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
res = {"old": [], "new": []}
for r in range(rounds):
    for name, binp in (("old", old), ("new", new)):
        d = tempfile.mkdtemp()
        conf = os.path.join(d, "c.toml"); open(conf, "w").write("[limits]\nmax_messages_per_second = 0\n")
        port = free_port()
        p = subprocess.Popen(["taskset", "-c", "0", binp, "--http", f"127.0.0.1:{port}", "--data-dir", d,
                              "--threads", "1", "--log-level", "warn", "--config", conf])
        time.sleep(1.0)
        out = subprocess.run(["taskset", "-c", "1", lg, "--proto", "phoenix", "--port", str(port),
                              "--server-pid", str(p.pid), "fanout", "--subs", "1000", "--rates", rate,
                              "--run-s", "5", "--warmup-s", "1", "--repeats", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, timeout=300)
        p.terminate(); p.wait()
        j = json.loads(out.stdout)
        runs = [x for f in j.get("rates", j.get("fractions", [])) for x in f.get("runs", [])] or j.get("runs", [])
        if not runs:
            print(name, "no runs:", list(j.keys())); continue
        x = runs[0]
        ns = x["server_cpu_s"] * 1e9 / max(1, x["delivered"])
        res[name].append((ns, x.get("p99_us"), x.get("lost"), x.get("delivered")))
        print(name, f"cpu/delivery {ns:.0f} ns  p99 {x.get('p99_us')} us  lost {x.get('lost')} delivered {x.get('delivered')}", flush=True)
for k, v in res.items():
    if v: print(k, "median cpu ns/delivery", statistics.median([a for a, *_ in v]), "spread", min(a for a,*_ in v), "-", max(a for a,*_ in v))

// The channel-memory probes of issue 13 (item 4) at full size: RSS growth of a Parley server
// while one client makes N channels of each kind, then at the next start.
//
//   PARLEY_ROOT=$PWD PARLEY_BIN=build/parley node bench/channel_memory.mjs [N] [--threads T]
//
// Loopback only; a fresh data directory each run (removed at exit). N defaults to 100,000.
// Each probe runs on a server of its own after a warm-up of N/50, so its growth is its own.
import { configArgs, startServer } from '../tests/e2e/lib/server.mjs';
import {
  hs256, probeHeavenland, probeHubPages, probeJoinLeave, rssKiB,
} from '../tests/e2e/lib/channel_probes.mjs';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const threadsAt = args.indexOf('--threads');
const threads = threadsAt >= 0 ? args[threadsAt + 1] : '2';
const secret = 's3cret';
const token = hs256({ sub: 'HL1', nickname: 'Prober', exp: Math.floor(Date.now() / 1000) + 36000 },
  secret);
const config = configArgs(`[limits]\nmax_messages_per_second = 0\n[auth]\njwt_secret = "${secret}"\n`);

const mib = (kib) => (kib / 1024).toFixed(1);

for (const [name, run] of [
  ['GET /c/<random>', (s, k) => probeHubPages(s, k)],
  ['Phoenix join+leave', (s, k) => probeJoinLeave(s, k)],
  ['Heavenland publish', (s, k) => probeHeavenland(s, k, token)],
]) {
  const server = await startServer({ args: [...config, '--threads', threads] });
  await run(server, Math.max(1, Math.floor(n / 50)));
  const before = rssKiB(server.proc.pid);
  const started = Date.now();
  await run(server, n);
  const after = rssKiB(server.proc.pid);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  await server.restart();
  const restarted = rssKiB(server.proc.pid);
  const storeLine = /storage: .*$/m.exec(server.log.split('--- start:').at(-1))?.[0] ?? '';
  console.log(`${name} x${n}: RSS ${mib(before)} -> ${mib(after)} MiB (+${mib(after - before)} MiB, `
    + `${((after - before) * 1024 / n).toFixed(0)} B per channel) in ${seconds} s; `
    + `after a restart: ${mib(restarted)} MiB, "${storeLine}"`);
  await server.stop();
}

/**
 * Runtime flags the `itda` command runs Node with (the shebang of bin/itda.js and
 * `npm start`). Kept here so the benchmarks start itda exactly as users do.
 *
 * `--max-semi-space-size=4` (MiB): V8's young generation stays small, so each scavenge
 * is short. The SFU allocates a few buffers per forwarded packet inside node:crypto;
 * with the default young generation a scavenge collected ~25 MB at once and paused the
 * event loop 5–8 ms every ~0.9 s at 19,200 forwarded packets/s (every packet arriving
 * meanwhile waits), with 4 MiB it pauses 0.7–2 ms about ten times as often, for the same
 * CPU; resident memory under load is lower too (bench/RESULTS.md, bench/sfu).
 */
export const ITDA_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

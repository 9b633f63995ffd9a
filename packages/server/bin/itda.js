#!/usr/bin/env -S node --max-semi-space-size=4
// The `itda` command. Runs on Node >= 26 (TypeScript type stripping); from the clone use
// `npx itda` or `npm start`, which put the node_modules/.bin Node first on PATH.
// --max-semi-space-size=4 (MiB): a small young generation — more, much shorter scavenges
// (under 2 ms instead of 5–8 ms at SFU load), which media latency needs (node-flags.ts).
import { main } from '../src/cli.ts';

await main();

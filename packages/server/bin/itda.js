#!/usr/bin/env node
// The `itda` command. Runs on Node >= 26 (TypeScript type stripping); from the clone use
// `npx itda` or `npm start`, which put the node_modules/.bin Node first on PATH.
import { main } from '../src/cli.ts';

await main();

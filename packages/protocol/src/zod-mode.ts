/**
 * zod compiles object schemas into functions with `new Function` (a JIT), and probes
 * whether it may when a schema is built — at module load. Under a Content-Security-Policy
 * without `'unsafe-eval'`, like itda's web app's (docs/server.md, "Security headers"), the
 * probe alone is reported as a policy violation, in every page and in every app that
 * embeds the SDK under a strict policy. Outside Node (in browsers) this module turns the
 * JIT off before any schema is built (schemas.ts imports it first): the same results, no
 * eval. In Node, where the server validates every message and no CSP applies, the JIT
 * stays on.
 */
import { z } from 'zod';

const nodeVersion = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
if (nodeVersion === undefined) z.config({ jitless: true });

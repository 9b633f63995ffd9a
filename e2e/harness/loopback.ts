/**
 * The namespace rule (ARCHITECTURE.md, "Network rules"): browsers in end-to-end tests
 * run only inside a network namespace whose sole interface is loopback, so that no ICE
 * candidate, DNS lookup or background request can reach another network.
 */
import { networkInterfaces } from 'node:os';

/** Names of the interfaces that have an address, sorted. */
export function interfaceNames(): string[] {
  return Object.keys(networkInterfaces()).sort();
}

/**
 * Throws unless this process sees exactly one interface with an address, `lo`.
 * Run e2e tests through `npm test`, or by hand:
 * `unshare --net -- bash -c 'ip link set lo up && exec npx node --test e2e/<file>.test.ts'`.
 */
export function assertLoopbackOnly(): void {
  const names = interfaceNames();
  if (names.length === 1 && names[0] === 'lo') return;
  throw new Error(
    `refusing to start a browser: this process sees network interfaces [${names.join(', ') || 'none'}], ` +
      'but end-to-end tests must run in a network namespace with only loopback up. ' +
      "Run `npm test`, or `unshare --net -- bash -c 'ip link set lo up && exec npx node --test " +
      "--test-concurrency=1 e2e/<file>.test.ts'` (as root).",
  );
}

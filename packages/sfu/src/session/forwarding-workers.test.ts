/**
 * Forwarding through the whole SFU with two media workers (docs/sfu/workers.md): the same
 * suite as forwarding.test.ts — order, decryption, NACK/RTX, PLI throttling, sender
 * reports, both workers restarted mid-call — while the UDP subscribers' RTP leaves from
 * worker threads. Twice: bound to a wildcard address (main and workers share one
 * SO_REUSEPORT group; the kernel hashes flows over them and the workers hand theirs back)
 * and to 127.0.0.1 (the workers bind the wildcard apart; every datagram reaches the main
 * socket).
 */
import { describe } from 'node:test';
import { forwardingSuite } from './forwarding-suite.ts';

describe('two media workers, bound to 0.0.0.0', () => forwardingSuite({ mediaWorkers: 2, host: '0.0.0.0' }));
describe('two media workers, bound to 127.0.0.1', () => forwardingSuite({ mediaWorkers: 2, host: '127.0.0.1' }));

/**
 * Forwarding through the whole SFU with two media workers (docs/sfu/workers.md): the same
 * suite as forwarding.test.ts — order, decryption, NACK/RTX, PLI throttling and sender
 * reports — while the UDP subscribers' RTP leaves from worker threads and their RTCP
 * comes back through the workers' connected sockets.
 */
import { forwardingSuite } from './forwarding-suite.ts';

forwardingSuite({ mediaWorkers: 2 });

/** Forwarding through the whole SFU, every packet sent from the main thread (forwarding-suite.ts). */
import { forwardingSuite } from './forwarding-suite.ts';

forwardingSuite({ mediaWorkers: 0 });

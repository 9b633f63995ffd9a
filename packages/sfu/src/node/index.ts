/** The SFU's sockets: one UDP and one TCP port for every transport. See docs/sfu.md. */
export {
  type BandwidthEstimate,
  bindSharedUdp,
  defaultAnnouncedAddresses,
  RtcServer,
  type RtcServerOptions,
} from './rtc-server.ts';
export { MediaWorkerPool, type MediaWorkerPoolOptions, type MediaWorkerStats } from './workers/pool.ts';

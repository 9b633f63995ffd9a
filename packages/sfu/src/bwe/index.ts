/**
 * Send-side bandwidth estimation (Google Congestion Control) for the SFU's subscriber
 * transports: the estimator, and when to probe. See send-side-bwe.ts.
 */
export { ACKED_WINDOW_MS, AckedBitrate } from './acked-bitrate.ts';
export { AimdRate, type RateBounds } from './aimd-rate.ts';
export { FeedbackAdapter } from './feedback-adapter.ts';
export { BURST_MS, type GroupDelta, InterArrival } from './inter-arrival.ts';
export { LossBased } from './loss-based.ts';
export { type ProbeCluster, ProbeController } from './probe-controller.ts';
export { MIN_PROBE_PACKETS, ProbeResults } from './probe-result.ts';
export { type BweOptions, type BweUpdate, DEFAULT_BWE, SendSideBwe } from './send-side-bwe.ts';
export { SENT_HISTORY_SLOTS, SentHistory } from './sent-history.ts';
export { TransportBwe } from './transport-bwe.ts';
export { Trendline } from './trendline.ts';
export type { BandwidthUsage, PacketResult } from './types.ts';

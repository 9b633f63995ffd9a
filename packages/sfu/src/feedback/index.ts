/**
 * Per-stream RTCP machinery the router calls: transport-cc feedback, and (as they land)
 * NACK retransmission, keyframe request throttling, receive statistics and reports.
 * Sans-IO: bytes and numbers in, packets out; time comes in as arguments or a `Clock`.
 * See docs/sfu/feedback.md.
 */
export { FeedbackError, FeedbackErrorCode } from './errors.ts';
export { KeyframeThrottle, type KeyframeThrottleOptions } from './keyframe-throttle.ts';
export { NackGenerator, type NackGeneratorOptions } from './nack-generator.ts';
export { NackResponder, type NackResponderOptions, type ResendFn } from './nack-responder.ts';
export { type LastSenderReport, ReceiveStats, type ReceiveStatsOptions } from './receive-stats.ts';
export { RetransmissionBuffer, type RetransmissionBufferOptions, writeRtx } from './retransmission-buffer.ts';
export { buildConsumerSenderReport, type ConsumerSenderReportInput } from './sender-report.ts';
export { TwccRecorder, type TwccRecorderOptions } from './twcc-recorder.ts';

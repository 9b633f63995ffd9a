/**
 * RTP/RTCP for the SFU: allocation-free RTP header view and in-place rewriting,
 * sequence/timestamp rewriters, RTCP parsing/building/SSRC rewriting, and shared-port
 * demultiplexing. No I/O. See docs/sfu.md.
 */
export { classifyDatagram, type DatagramKind, isRtcp } from './demux.ts';
export { RtpError, type RtpErrorCode } from './errors.ts';
export { isKeyframeStart, type KeyframeCodec, keyframeCodec } from './keyframe.ts';
export { SequenceRewriter, seqNewer, TimestampRewriter, tsNewer } from './rewriter.ts';
export {
  encodeRtcp,
  parseRtcp,
  parseRtcpKinds,
  type RtcpKind,
  type RtcpPacket,
  rewriteRtcpSsrcs,
  rtcpSize,
  type UnknownRtcp,
  writeRtcp,
} from './rtcp.ts';
export {
  FEEDBACK_HEADER_LENGTH,
  type FirEntry,
  type FullIntraRequest,
  type GenericNack,
  nackPairToSequences,
  type PictureLossIndication,
  type Remb,
  sequencesToNackPairs,
} from './rtcp-feedback.ts';
export { RTCP_HEADER_LENGTH, RtcpFmt, RtcpReader, RtcpType } from './rtcp-reader.ts';
export {
  type Bye,
  cnameOf,
  type ReceiverReport,
  type ReportBlock,
  type SdesChunk,
  type SdesItem,
  SdesItemType,
  type SenderReport,
  type SourceDescription,
} from './rtcp-reports.ts';
export { type TransportCc, type TwccPacket, TwccStatus } from './rtcp-twcc.ts';
export { ONE_BYTE_PROFILE, RTP_HEADER_LENGTH, RtpPacketView, TWO_BYTE_PROFILE } from './rtp-packet.ts';

/**
 * The SFU inside `itda serve`: an `RtcServer` (@itda/sfu: one UDP and one TCP port for
 * every participant's media), the `SfuHost` with its `SfuService`, and the `SfuClient`
 * through which the signaling core and the WHIP/WHEP endpoint reach it — over an
 * in-process link that copies every message, as a network would. Also its `/healthz`
 * section and `itda_sfu_*` metrics.
 */
import { type Logger, systemClock } from '@itda/common';
import type { SharedConnectionBudget } from '@itda/common/node';
import { localSfuLink, RtcServer, SfuClient, SfuHost, type SfuService } from '@itda/sfu';
import type { ServerConfig } from '../config/config.ts';
import { listenError } from '../config/config-error.ts';
import { tcpGuardLimits } from '../config/tcp-limits.ts';

/** What `/healthz` shows of the SFU. */
export interface SfuHealth {
  udpPort: number;
  tcpPort: number | undefined;
  candidates: string[];
  rooms: number;
  transports: number;
  /** Media worker threads running (0: media sent from the main thread). */
  mediaWorkers: number;
}

export interface EmbeddedSfu {
  readonly rtc: RtcServer;
  /** The SFU's API: the only way signaling and WHIP/WHEP reach it. */
  readonly client: SfuClient;
  /** Behind the API, for metrics, health and tests that look inside. */
  readonly host: SfuHost;
  readonly service: SfuService;
  health(): SfuHealth;
  metricsText(): string;
  close(): Promise<void>;
}

export async function startEmbeddedSfu(
  config: ServerConfig,
  options: { log: Logger; ephemeralPorts: boolean; tcpSharedBudget?: SharedConnectionBudget | undefined },
): Promise<EmbeddedSfu> {
  let rtc: RtcServer;
  try {
    rtc = await RtcServer.listen({
      host: config.host,
      udpPort: options.ephemeralPorts ? 0 : config.rtcPort,
      tcpPort: config.rtcTcp ? (options.ephemeralPorts ? 0 : config.rtcPort) : false,
      ...(config.rtcAnnounce === undefined ? {} : { announcedAddresses: config.rtcAnnounce }),
      consentTimeoutMs: config.rtcConsentTimeoutMs,
      adaptive: config.sfuAdaptive,
      mediaWorkers: config.mediaWorkers,
      tcpLimits: tcpGuardLimits(config),
      ...(options.tcpSharedBudget === undefined ? {} : { tcpSharedBudget: options.tcpSharedBudget }),
      logger: options.log,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw listenError(`cannot listen for SFU media on ${config.host}:${config.rtcPort}: ${code}`, err);
  }
  const link = localSfuLink();
  const host = new SfuHost({
    link: link.host,
    transports: rtc,
    clock: systemClock,
    logger: options.log,
    activeSpeaker: { intervalMs: config.activeSpeakerIntervalMs },
  });
  const service = host.service;
  const client = new SfuClient({ link: link.client, clock: systemClock, logger: options.log });
  options.log.info('sfu listening', {
    udpPort: rtc.udpPort,
    tcpPort: rtc.tcpPort,
    candidates: rtc.candidates.map((c) => `${c.protocol} ${c.address}:${c.port}`),
    mediaWorkers: config.mediaWorkers,
  });
  return {
    rtc,
    client,
    host,
    service,
    health: () => ({
      udpPort: rtc.udpPort,
      tcpPort: rtc.tcpPort,
      candidates: rtc.candidates.map((c) => `${c.protocol} ${c.address}:${c.port}`),
      rooms: service.roomCount,
      transports: rtc.transportCount,
      mediaWorkers: rtc.workerStats()?.workers ?? 0,
    }),
    metricsText: () => sfuMetricsText(rtc, service),
    close: async () => {
      client.close();
      host.close();
      await rtc.close();
    },
  };
}

/** Bounds of `itda_sfu_downlink_estimate_transports`, bit/s. */
const DOWNLINK_BUCKETS = [100_000, 300_000, 1_000_000, 3_000_000, 10_000_000, Infinity];

/** Prometheus text of the SFU (no per-room or per-participant labels). */
function sfuMetricsText(rtc: RtcServer, service: SfuService): string {
  const s = rtc.stats;
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  };
  metric('itda_sfu_rooms', 'gauge', 'Rooms with SFU media state.', service.roomCount);
  metric('itda_sfu_transports', 'gauge', 'WebRTC transports (two per participant).', rtc.transportCount);
  lines.push('# HELP itda_sfu_datagrams_received_total Datagrams received by class (RFC 7983).');
  lines.push('# TYPE itda_sfu_datagrams_received_total counter');
  lines.push(`itda_sfu_datagrams_received_total{class="stun"} ${s.rxStun}`);
  lines.push(`itda_sfu_datagrams_received_total{class="dtls"} ${s.rxDtls}`);
  lines.push(`itda_sfu_datagrams_received_total{class="rtp"} ${s.rxRtp}`);
  lines.push(`itda_sfu_datagrams_received_total{class="rtcp"} ${s.rxRtcp}`);
  metric('itda_sfu_forwarded_packets_total', 'counter', 'RTP packets sent to subscribers.', s.forwarded);
  metric('itda_sfu_forwarded_bytes_total', 'counter', 'RTP bytes sent to subscribers (before SRTP).', s.forwardedBytes);
  metric('itda_sfu_retransmitted_packets_total', 'counter', 'Packets resent for NACKs.', s.retransmitted);
  metric(
    'itda_sfu_keyframe_requests_total',
    'counter',
    'PLIs sent to publishers after throttling.',
    s.keyframeRequests,
  );
  metric('itda_sfu_nacks_sent_total', 'counter', 'NACKs sent to publishers for packets lost upstream.', s.nacksSent);
  metric(
    'itda_sfu_transport_cc_feedback_total',
    'counter',
    'Transport-cc feedback messages sent to publishers (their bandwidth estimate).',
    s.transportCcFeedback,
  );
  metric(
    'itda_sfu_transport_cc_received_total',
    'counter',
    'Transport-cc feedback messages received from subscribers (the SFU’s estimate of their downlink).',
    s.transportCcReceived,
  );
  metric(
    'itda_sfu_receiver_reports_total',
    'counter',
    'RTCP receiver reports sent to publishers (loss, jitter, round-trip time).',
    s.receiverReports,
  );
  metric('itda_sfu_rtx_probes_total', 'counter', 'Padding-only RTX packets (bandwidth probes) received.', s.rtxProbes);
  metric(
    'itda_sfu_probe_padding_packets_total',
    'counter',
    'Padding-only RTX packets sent to subscribers to probe their downlink.',
    s.probePadding,
  );
  // Now, not over time: how many subscriber transports have an estimated downlink at or under each bound.
  const estimates = rtc.bandwidthEstimates().map((e) => e.estimateBps);
  lines.push(
    '# HELP itda_sfu_downlink_estimate_transports Subscriber transports whose estimated downlink (send-side, transport-cc) is at or under le bit/s, now.',
  );
  lines.push('# TYPE itda_sfu_downlink_estimate_transports gauge');
  for (const le of DOWNLINK_BUCKETS) {
    const n = estimates.filter((e) => e <= le).length;
    lines.push(`itda_sfu_downlink_estimate_transports{le="${le === Infinity ? '+Inf' : le}"} ${n}`);
  }
  lines.push('# HELP itda_sfu_dropped_total Datagrams dropped, by stable reason code.');
  lines.push('# TYPE itda_sfu_dropped_total counter');
  for (const [reason, n] of s.drops) lines.push(`itda_sfu_dropped_total{reason="${reason}"} ${n}`);
  const w = rtc.workerStats();
  if (w !== undefined) {
    // The same reason label set: packets a worker could not send, and packets not handed to a lagging one.
    lines.push(`itda_sfu_dropped_total{reason="worker_send_failed"} ${w.dropped}`);
    lines.push(`itda_sfu_dropped_total{reason="worker_backpressure"} ${w.backpressureDrops}`);
    lines.push(`itda_sfu_dropped_total{reason="wrong_local_address"} ${w.stray}`);
  }
  metric('itda_sfu_media_workers', 'gauge', 'Media worker threads running.', w?.workers ?? 0);
  metric(
    'itda_sfu_media_worker_restarts_total',
    'counter',
    'Media workers that ended and were replaced.',
    w?.crashes ?? 0,
  );
  metric(
    'itda_sfu_media_worker_transports',
    'gauge',
    'Subscriber transports whose RTP the media workers encrypt and send.',
    w?.transports ?? 0,
  );
  metric('itda_sfu_media_worker_sent_packets_total', 'counter', 'SRTP packets the media workers sent.', w?.sent ?? 0);
  metric(
    'itda_sfu_media_worker_queued_bytes',
    'gauge',
    'RTP bytes handed to media workers and not yet sent.',
    w?.queuedBytes ?? 0,
  );
  return `${lines.join('\n')}\n`;
}

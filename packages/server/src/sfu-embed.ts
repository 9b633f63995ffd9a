/**
 * The SFU inside `itda serve`: an `RtcServer` (@itda/sfu: one UDP and one TCP port for
 * every participant's media) and the `SfuService` that the signaling core drives for
 * rooms in `sfu` mode. Also its `/healthz` section and `itda_sfu_*` metrics.
 */
import { ItdaError, type Logger, systemClock } from '@itda/common';
import { RtcServer, SfuService } from '@itda/sfu';
import type { ServerConfig } from './config.ts';

/** What `/healthz` shows of the SFU. */
export interface SfuHealth {
  udpPort: number;
  tcpPort: number | undefined;
  candidates: string[];
  rooms: number;
  transports: number;
}

export interface EmbeddedSfu {
  readonly rtc: RtcServer;
  readonly service: SfuService;
  health(): SfuHealth;
  metricsText(): string;
  close(): Promise<void>;
}

export async function startEmbeddedSfu(
  config: ServerConfig,
  options: { log: Logger; ephemeralPorts: boolean },
): Promise<EmbeddedSfu> {
  let rtc: RtcServer;
  try {
    rtc = await RtcServer.listen({
      host: config.host,
      udpPort: options.ephemeralPorts ? 0 : config.rtcPort,
      tcpPort: config.rtcTcp ? (options.ephemeralPorts ? 0 : config.rtcPort) : false,
      ...(config.rtcAnnounce === undefined ? {} : { announcedAddresses: config.rtcAnnounce }),
      consentTimeoutMs: config.rtcConsentTimeoutMs,
      logger: options.log,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ItdaError('listen_failed', `cannot listen for SFU media on ${config.host}:${config.rtcPort}: ${code}`, {
      cause: err,
    });
  }
  const service = new SfuService({ transports: rtc, clock: systemClock, logger: options.log });
  options.log.info('sfu listening', {
    udpPort: rtc.udpPort,
    tcpPort: rtc.tcpPort,
    candidates: rtc.candidates.map((c) => `${c.protocol} ${c.address}:${c.port}`),
  });
  return {
    rtc,
    service,
    health: () => ({
      udpPort: rtc.udpPort,
      tcpPort: rtc.tcpPort,
      candidates: rtc.candidates.map((c) => `${c.protocol} ${c.address}:${c.port}`),
      rooms: service.roomCount,
      transports: rtc.transportCount,
    }),
    metricsText: () => sfuMetricsText(rtc, service),
    close: async () => {
      service.close();
      await rtc.close();
    },
  };
}

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
  lines.push('# HELP itda_sfu_dropped_total Datagrams dropped, by stable reason code.');
  lines.push('# TYPE itda_sfu_dropped_total counter');
  for (const [reason, n] of s.drops) lines.push(`itda_sfu_dropped_total{reason="${reason}"} ${n}`);
  return `${lines.join('\n')}\n`;
}

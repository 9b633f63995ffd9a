/**
 * The SFU settings of `itda serve`: the media server embedded in the `itda` process
 * (one UDP and one TCP port for every participant) that runs rooms in `sfu` mode.
 * Rows of the one settings table (config.ts), so flags, environment, config file,
 * `--help` and docs/server.md all follow them.
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import type { Setting } from './config.ts';
import { configError } from './config-error.ts';

export interface EmbeddedSfuConfig {
  /** Run the SFU in this process (rooms in `sfu` mode). Default true (`startServer`: false unless asked). */
  sfu: boolean;
  /** The one UDP port (and TCP port for ICE-TCP) of all media. Default 7882. 0: any free port. */
  rtcPort: number;
  /** ICE-TCP passive candidates on `rtcPort` (RFC 6544), for networks that block UDP. Default true. */
  rtcTcp: boolean;
  /**
   * Addresses announced to browsers as host candidates. Unset: the listen address, or for
   * a wildcard listen address every IPv4 address of the machine. Behind 1:1 NAT (a cloud
   * VM), set the public address.
   */
  rtcAnnounce: string[] | undefined;
  /** Consent freshness timeout (RFC 7675): a silent participant's transports close after it, ms. Default 30 s. */
  rtcConsentTimeoutMs: number;
  /**
   * Media worker threads that encrypt and send forwarded RTP (docs/sfu/workers.md), 0 … 64.
   * Default: 0 on one or two CPUs, else one per CPU but one (at most 8). 0 sends everything
   * from the main thread.
   */
  mediaWorkers: number;
  /** How often each room decides who is the active speaker (`active-speaker` messages), ms. Default 300. */
  activeSpeakerIntervalMs: number;
  /**
   * Adaptive layers (issue 14, in progress): each subscriber gets the simulcast layers its
   * downlink estimate carries, and a video is stopped for it when not even the lowest fits.
   * Default false until it has been proven under load.
   */
  sfuAdaptive: boolean;
}

/**
 * No media workers on one or two CPUs; otherwise one per CPU but one, which the main
 * thread keeps (at most 8). The hand-off to a worker costs about 2 µs per forwarded
 * packet, which pays only once one thread cannot keep up: on 2 cores, since AES-CM
 * became cheap, the main thread alone forwards 19,200 pkt/s for 8.2–8.8 µs per packet
 * with added p99 +1.4–2.0 ms, against 10.4–10.7 µs and +1.3–2.4 ms with two workers
 * (bench/RESULTS.md, "AES-CM computed ahead"). One thread tops out near 115k pkt/s.
 */
export function defaultMediaWorkers(cpus = availableParallelism()): number {
  return cpus <= 2 ? 0 : Math.min(cpus - 1, 8);
}

export const DEFAULT_EMBEDDED_SFU_CONFIG: EmbeddedSfuConfig = {
  sfu: true,
  rtcPort: 7882,
  rtcTcp: true,
  rtcAnnounce: undefined,
  rtcConsentTimeoutMs: 30_000,
  mediaWorkers: defaultMediaWorkers(),
  activeSpeakerIntervalMs: 300,
  sfuAdaptive: false,
};

export const SFU_SERVE_SETTINGS: readonly Setting<EmbeddedSfuConfig>[] = [
  {
    key: 'sfu',
    flag: 'sfu',
    env: ['ITDA_SFU'],
    kind: 'bool',
    arg: '',
    help: 'run the SFU media server for rooms in sfu mode (--no-sfu: off)',
  },
  {
    key: 'rtcPort',
    flag: 'rtc-port',
    env: ['ITDA_RTC_PORT'],
    kind: 'port',
    arg: '<n>',
    help: 'the one UDP port (and ICE-TCP port) of all SFU media',
  },
  {
    key: 'rtcTcp',
    flag: 'rtc-tcp',
    env: ['ITDA_RTC_TCP'],
    kind: 'bool',
    arg: '',
    help: 'ICE-TCP passive candidates on --rtc-port (--no-rtc-tcp: off)',
  },
  {
    key: 'rtcAnnounce',
    flag: 'rtc-announce',
    env: ['ITDA_RTC_ANNOUNCE'],
    kind: 'list',
    arg: '<ip>',
    help: 'address announced to browsers for SFU media (repeatable; public IP behind 1:1 NAT)',
    optional: true,
    splitItems: true,
    shownDefault: 'listen address, or every local IPv4',
  },
  {
    key: 'rtcConsentTimeoutMs',
    flag: 'rtc-consent-timeout',
    env: ['ITDA_RTC_CONSENT_TIMEOUT'],
    kind: 'duration',
    arg: '<time>',
    help: 'close a silent participant’s media after this long (RFC 7675)',
    min: 5_000,
    max: 300_000,
  },
  {
    key: 'mediaWorkers',
    flag: 'media-workers',
    env: ['ITDA_MEDIA_WORKERS'],
    kind: 'int',
    arg: '<n>',
    help: 'threads that encrypt and send SFU media (0: the main thread only)',
    min: 0,
    max: 64,
    shownDefault: '0 on ≤ 2 CPUs, else CPUs − 1 (at most 8)',
  },
  {
    key: 'activeSpeakerIntervalMs',
    flag: 'active-speaker-interval',
    env: ['ITDA_ACTIVE_SPEAKER_INTERVAL'],
    kind: 'duration',
    arg: '<time>',
    help: 'how often each SFU room decides who speaks (active-speaker messages)',
    min: 100,
    max: 5_000,
  },
  {
    key: 'sfuAdaptive',
    flag: 'sfu-adaptive',
    env: ['ITDA_SFU_ADAPTIVE'],
    kind: 'bool',
    arg: '',
    help: 'give each subscriber the simulcast layers its estimated downlink carries (in progress)',
  },
];

export function validateEmbeddedSfu(c: EmbeddedSfuConfig): void {
  for (const ip of c.rtcAnnounce ?? []) {
    if (isIP(ip) === 0) throw configError(`--rtc-announce: "${ip}" is not an IP address`, { setting: 'rtcAnnounce' });
  }
}

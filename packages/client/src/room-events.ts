/**
 * The events of a Room, as a documented const object (livekit's `RoomEvent` style):
 * `room.on(RoomEvent.TrackAdded, (info) => …)`. Names are stable.
 */
import type { LeaveReason, MediaState, Moderator, RoomState } from '@itda/protocol';
import type { ClientError } from './errors.ts';
import type { RemoteParticipant } from './participant.ts';
import type { ConnectionState } from './signaling-client.ts';

export const RoomEvent = {
  /** A remote participant is in the room (from `joined`, `participant-joined` or `resumed`). */
  ParticipantJoined: 'participantJoined',
  /** A remote participant left; its peer connection is closed. */
  ParticipantLeft: 'participantLeft',
  /** A remote participant's name or media state changed. */
  ParticipantUpdated: 'participantUpdated',
  /** A remote track arrived, classified as `camera` or `screen`. */
  TrackAdded: 'trackAdded',
  /** A remote track went away (renegotiated out, or the participant left). */
  TrackRemoved: 'trackRemoved',
  /** Signaling connection state: connecting | connected | reconnecting | disconnected. */
  ConnectionStateChanged: 'connectionStateChanged',
  /** A remote participant's RTCPeerConnection changed `connectionState`. */
  PeerConnectionStateChanged: 'peerConnectionStateChanged',
  /** Resume failed and the room was joined afresh: a new local participant id. */
  Rejoined: 'rejoined',
  /** The session ended without `leave()` (room closed, removed, could not reconnect). */
  Disconnected: 'disconnected',
  /** A chat message from a remote participant. */
  ChatMessage: 'chatMessage',
  /** Progress of a file transfer, per remote participant, both directions. */
  FileProgress: 'fileProgress',
  /** A file arrived whole and verified. */
  FileReceived: 'fileReceived',
  /**
   * The dominant speaker changed (`sfu` rooms, decided by the server every 300 ms): a
   * participant id — remote, or `localParticipant.id` — or undefined before anyone spoke.
   */
  ActiveSpeakerChanged: 'activeSpeakerChanged',
  /** A participant (remote, or the local one by its id) started or stopped speaking. */
  SpeakingChanged: 'speakingChanged',
  /** The room has a lobby: `join()` waits until a host lets this participant in. */
  Lobby: 'lobby',
  /** A host muted this participant's microphone or camera (with who). */
  Moderated: 'moderated',
  /** The room was locked or unlocked, or its lobby turned on or off. */
  RoomStateChanged: 'roomStateChanged',
  /** Hosts: someone knocks at the lobby. */
  Knock: 'knock',
  /** Hosts: a knock is over (admitted, denied, left). */
  KnockEnded: 'knockEnded',
  /** A non-fatal problem (a refused signaling message, a failed transfer). */
  Error: 'error',
} as const;

export type RoomEvent = (typeof RoomEvent)[keyof typeof RoomEvent];

/** Where a remote track comes from, told apart by `media.screenStreamId`. */
export type TrackSource = 'camera' | 'screen';

export interface TrackInfo {
  participant: RemoteParticipant;
  track: MediaStreamTrack;
  stream: MediaStream;
  source: TrackSource;
}

export interface ChatMessage {
  id: string;
  /** Sender's participant id. */
  from: string;
  name: string;
  text: string;
  /** Sender's wall clock, ms since the epoch. */
  ts: number;
}

export interface FileProgress {
  /** The transfer id (same for every recipient of one `sendFile`). */
  id: string;
  /** The remote participant this part of the transfer goes to or comes from. */
  participantId: string;
  direction: 'send' | 'receive';
  name: string;
  size: number;
  mime: string;
  /** Bytes sent or received so far. */
  transferred: number;
}

export interface FileReceivedEvent {
  id: string;
  from: string;
  name: string;
  size: number;
  /** The type the sender announced: for display only (anyone can claim `text/html`). */
  mime: string;
  /** The bytes, always typed `application/octet-stream` so that a `blob:` URL of them downloads and never renders. */
  blob: Blob;
}

export interface LocalParticipant {
  /** Changes only on `rejoined`. */
  id: string;
  name: string;
  media: MediaState;
  /** Speaking now, as the server hears it (`sfu` rooms). */
  speaking: boolean;
}

/** Someone waiting in the lobby, as hosts see them. */
export interface Knock {
  id: string;
  name: string;
  identity: string | null;
}

export type RoomEvents = {
  participantJoined: [participant: RemoteParticipant];
  participantLeft: [participant: RemoteParticipant, reason: LeaveReason | 'rejoined'];
  participantUpdated: [participant: RemoteParticipant];
  trackAdded: [info: TrackInfo];
  trackRemoved: [info: TrackInfo];
  connectionStateChanged: [state: ConnectionState];
  peerConnectionStateChanged: [participant: RemoteParticipant, state: RTCPeerConnectionState];
  rejoined: [localId: string];
  disconnected: [err: ClientError];
  chatMessage: [message: ChatMessage];
  fileProgress: [progress: FileProgress];
  fileReceived: [file: FileReceivedEvent];
  activeSpeakerChanged: [participantId: string | undefined];
  speakingChanged: [participantId: string, speaking: boolean];
  /** The room has a lobby: `join()` waits until a host admits this participant (or rejects when denied). */
  lobby: [];
  /**
   * A host muted this participant's microphone (`audio`) or camera (`video`) — the SDK has
   * turned it off; `forced`: it cannot be turned on until a `release` — or released it.
   */
  moderated: [event: { action: 'mute' | 'release'; kind: 'audio' | 'video'; by: Moderator; forced: boolean }];
  /** A host locked or unlocked the room, or turned its lobby on or off. */
  roomStateChanged: [state: RoomState, by: Moderator];
  /** Hosts: someone knocks at the lobby (`room.admit(id)` / `room.deny(id)`). */
  knock: [knock: Knock];
  /** Hosts: a knock is over. */
  knockEnded: [id: string, outcome: 'admitted' | 'denied' | 'left'];
  error: [err: ClientError];
};

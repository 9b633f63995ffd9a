/**
 * How a call ended, or why it could not start, in words a person understands: each end
 * has its own heading (removed, refused, room full, room closed, left, …), never one
 * "The call ended" for all of them.
 */
import type { ClientError } from '@itda/client';
import { CloseCode } from '@itda/protocol';
import type { InvitationProblem } from './invitation-token.ts';

export type EndKind =
  | 'left'
  | 'removed'
  | 'refused'
  | 'room_closed'
  | 'room_full'
  | 'room_missing'
  | 'needs_invitation'
  | 'invitation_invalid'
  | InvitationProblem
  | 'forbidden'
  | 'room_locked'
  | 'banned'
  | 'connection_lost'
  | 'unreachable'
  | 'error';

export interface EndState {
  kind: EndKind;
  heading: string;
  text: string;
  /** Whether `Rejoin` makes sense (not after being removed, not without a working invitation). */
  canRejoin: boolean;
}

const STATES: Record<EndKind, Omit<EndState, 'kind'>> = {
  left: { heading: 'You left the call', text: '', canRejoin: true },
  removed: {
    heading: 'You were removed from the room',
    text: 'Someone who runs this room removed you.',
    canRejoin: false,
  },
  refused: { heading: 'You were not let in', text: 'A host of this room did not admit you.', canRejoin: false },
  room_closed: { heading: 'The room was closed', text: 'The meeting is over for everyone.', canRejoin: true },
  room_full: {
    heading: 'This room is full',
    text: 'Everyone it has room for is already in. Try again later.',
    canRejoin: true,
  },
  room_missing: {
    heading: 'There is no such room',
    text: 'Rooms on this server are made by whoever runs it. Check the link.',
    canRejoin: false,
  },
  needs_invitation: {
    heading: 'You need an invitation link to join',
    text: 'This server admits people by invitation. Ask whoever runs the meeting for your link.',
    canRejoin: false,
  },
  invitation_invalid: {
    heading: 'This invitation link does not work',
    text: 'The server did not accept it. Ask for a new link.',
    canRejoin: false,
  },
  invitation_malformed: {
    heading: 'This invitation link is damaged',
    text: 'Part of it is missing or changed — copy the whole link again, or ask for a new one.',
    canRejoin: false,
  },
  invitation_expired: {
    heading: 'This invitation link has expired',
    text: 'Invitations are valid for a limited time. Ask for a new link.',
    canRejoin: false,
  },
  invitation_wrong_room: {
    heading: 'This invitation is for another room',
    text: 'Open the link exactly as you received it.',
    canRejoin: false,
  },
  forbidden: { heading: 'You are not allowed to join this room', text: '', canRejoin: false },
  room_locked: {
    heading: 'This room is locked',
    text: 'A host has locked it: nobody new can join right now.',
    canRejoin: true,
  },
  banned: { heading: 'You were removed from this room', text: 'You cannot join it again.', canRejoin: false },
  connection_lost: {
    heading: 'The connection was lost',
    text: 'The server could not be reached for a while.',
    canRejoin: true,
  },
  unreachable: { heading: 'Could not reach the server', text: 'Check your network and try again.', canRejoin: true },
  error: { heading: 'The call ended', text: 'Something went wrong with the connection.', canRejoin: true },
};

/** An end state with a heading of its own (e.g. naming who removed you). */
function withHeading(kind: EndKind, heading: string | undefined): EndState {
  const s = endState(kind);
  return heading === undefined ? s : { ...s, heading };
}

/** The end state of a kind. */
export function endState(kind: EndKind, text?: string): EndState {
  const s = STATES[kind];
  return { kind, ...s, text: text ?? s.text };
}

/** The end state of an SDK error (a failed join, or `disconnected`). */
export function endOf(err: unknown): EndState {
  const e = err as Partial<ClientError> | undefined;
  const details = e?.details as { reason?: unknown } | undefined;
  switch (e?.code) {
    case 'room_full':
      return endState('room_full');
    case 'session_closed': {
      // A host by name; the room API (id null) is nobody the person would know.
      const by = (details as { by?: { id?: unknown; name?: unknown } } | undefined)?.by;
      const who = typeof by?.id === 'string' && typeof by.name === 'string' ? by.name : undefined;
      if (details?.reason === 'removed' || e.closeCode === CloseCode.Removed) {
        return withHeading('removed', who === undefined ? undefined : `You were removed from the room by ${who}`);
      }
      if (details?.reason === 'denied' || e.closeCode === CloseCode.Denied) {
        return endState('refused', who === undefined ? undefined : `${who} did not let you in.`);
      }
      return endState('room_closed');
    }
    case 'room_locked':
      return endState('room_locked');
    case 'banned':
      return endState('banned');
    case 'room_closed':
      return endState('room_closed');
    case 'unauthorized':
      return endState('needs_invitation');
    case 'room_not_found':
      return endState('room_missing');
    case 'invalid_token':
      return endState('invitation_invalid');
    case 'token_expired':
      return endState('invitation_expired');
    case 'forbidden':
      return endState('forbidden');
    case 'reconnect_failed':
      return endState('connection_lost');
    case 'connect_failed':
    case 'connect_timeout':
      return endState('unreachable');
    default:
      return endState('error');
  }
}

/**
 * Who is polite in perfect negotiation (W3C WebRTC §10.7, "Perfect negotiation
 * example"): both ends of a link must agree, without talking, on which one rolls back
 * its own offer when offers collide. itda's rule: the participant whose id sorts lower
 * (UTF-16 code unit order, as `<` on strings) is polite; ids are unique in a room, so
 * exactly one side is polite.
 */
export function isPolite(localId: string, remoteId: string): boolean {
  return localId < remoteId;
}

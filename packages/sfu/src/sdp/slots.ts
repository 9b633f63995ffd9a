/**
 * Subscribe m-line slot recycling (RFC 8843 §7.3.3, JSEP RFC 8829 §5.2.2).
 *
 * The SFU's subscribe offer has one m-line per consumed track. When a track ends its
 * m-line is offered with port 0 (rejected, outside the BUNDLE group). Once the subscriber
 * has answered that offer, the m-line is "recyclable": a later new track of the same
 * kind takes it over with a **fresh mid** that was never used on this connection
 * (a mid names one m-line for the connection's lifetime; RFC 8843 §7.3.3 and JSEP
 * §5.2.2 require a new mid when a rejected m-section is reused). So the SDP has as many
 * m-lines as the most tracks held at once, not as many as ever seen.
 *
 * A slot offered at port 0 whose answer has not arrived yet is **not** recyclable: the
 * browser must first see it rejected, otherwise it would read the new track as a change
 * of the old transceiver.
 */

/** What `nextSlot` needs to know about a slot. */
export interface SlotUsage {
  mid: string;
  kind: 'audio' | 'video';
  /** A track is (or will be) sent on this slot. */
  active: boolean;
  /** The subscriber answered an offer in which this slot had port 0. */
  rejectionAnswered: boolean;
}

export interface SlotPlacement {
  /** Index into `slots`; `slots.length` means "append a new m-line". */
  index: number;
  /** True when an existing port-0 slot is reused. */
  recycled: boolean;
  /** The mid to give the slot (always fresh). */
  mid: string;
  /** The counter to pass next time. */
  nextMid: number;
}

/**
 * Where a new track of `kind` goes: the first recyclable slot of the same kind (inactive
 * and its rejection answered), else a new slot at the end. The mid is `String(nextMid)`,
 * skipping any value a current slot still carries; pass `nextMid` back in next time and
 * never reset it for the life of the peer connection.
 */
export function nextSlot(slots: readonly SlotUsage[], kind: 'audio' | 'video', nextMid: number): SlotPlacement {
  const inUse = new Set(slots.map((s) => s.mid));
  let n = nextMid;
  while (inUse.has(String(n))) n++;
  const index = slots.findIndex((s) => s.kind === kind && !s.active && s.rejectionAnswered);
  return { index: index < 0 ? slots.length : index, recycled: index >= 0, mid: String(n), nextMid: n + 1 };
}

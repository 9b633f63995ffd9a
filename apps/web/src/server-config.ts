/** The server's `/config.json`: the mode and size of new rooms, and whether joining needs an invitation. */

export interface ServerDescription {
  roomMode: 'sfu' | 'p2p';
  roomCapacity: number;
  openRooms: boolean;
}

/** The server's `/config.json`, or undefined (an older server, or offline). */
export async function describeServer(): Promise<ServerDescription | undefined> {
  try {
    const res = await fetch('/config.json', { cache: 'no-store' });
    if (!res.ok) return undefined;
    const body = (await res.json()) as Partial<ServerDescription>;
    if ((body.roomMode !== 'sfu' && body.roomMode !== 'p2p') || typeof body.roomCapacity !== 'number') return undefined;
    return { roomMode: body.roomMode, roomCapacity: body.roomCapacity, openRooms: body.openRooms !== false };
  } catch {
    return undefined;
  }
}

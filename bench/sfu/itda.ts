/**
 * itda as an `SfuTarget` — NOT WIRED YET: `start()` throws until the SFU serves WHIP/WHEP.
 *
 * The intended shape (a ~30-line change once `POST /whip/<room>` and `POST /whep/<room>` exist):
 * - start(): spawn `itda-server.ts` (startServer({ host: '127.0.0.1', port: 0, sfu: true,
 *   rtcPort: 0, … }) in its own process, printing `{"ready":true,"url":…}`), so `pid` is the
 *   SFU's process alone;
 * - publish(offer): `POST {url}/whip/bench` (content-type application/sdp, the offer) →
 *   201, `Location`, the answer; `ref` = the publisher's participant id (from Location or a
 *   response header — whatever WHIP returns), close = `DELETE {Location}`;
 * - subscribe(ref, peer): `const offer = await peer.offer()` (recvonly audio + video),
 *   `POST {url}/whep/bench?participant={ref}` → 201 + answer, `await peer.accept(answer)`,
 *   close = `DELETE {Location}`.
 */
import type { Published, SdpPeer, SfuTarget, Subscribed } from './target.ts';

export const ITDA_NOT_WIRED = 'itda SFU target not wired yet';

/** POSTs an SDP offer (WHIP/WHEP, RFC 9725 §4.2) and returns the answer and the resource URL. */
export async function postSdp(url: string, offer: string): Promise<{ answer: string; location: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp' },
    body: offer,
    signal: AbortSignal.timeout(20_000),
  });
  if (res.status !== 201) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  const location = new URL(res.headers.get('location') ?? '', url).toString();
  return { answer: await res.text(), location };
}

/** DELETEs a WHIP/WHEP resource (RFC 9725 §4.3). */
export async function deleteResource(location: string): Promise<void> {
  await fetch(location, { method: 'DELETE', signal: AbortSignal.timeout(10_000) });
}

export class ItdaTarget implements SfuTarget {
  readonly name = 'itda' as const;
  readonly pid = 0;
  readonly clientAddress = '127.0.0.1';
  readonly notes = 'itda SFU (WHIP/WHEP) — not wired yet';
  #url = '';

  async start(): Promise<void> {
    throw new Error(ITDA_NOT_WIRED);
  }

  async publish(offerSdp: string): Promise<{ answer: string; published: Published }> {
    const { answer, location } = await postSdp(`${this.#url}/whip/bench`, offerSdp);
    const ref = location.split('/').at(-1) ?? '';
    return { answer, published: { ref, close: () => deleteResource(location) } };
  }

  async subscribe(publisherRef: string, peer: SdpPeer): Promise<Subscribed> {
    const offer = await peer.offer();
    const { answer, location } = await postSdp(
      `${this.#url}/whep/bench?participant=${encodeURIComponent(publisherRef)}`,
      offer,
    );
    await peer.accept(answer);
    return { close: () => deleteResource(location) };
  }

  async stop(): Promise<void> {}
}

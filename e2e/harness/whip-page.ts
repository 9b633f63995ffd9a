/**
 * Browser JavaScript for pages that talk WHIP/WHEP themselves with `fetch` (RFC 9725):
 * `gathered(pc)` waits for ICE gathering (at most 5 s: the offer then carries every
 * candidate, no trickle); `exchange(pc, url)` POSTs the offer and applies the answer,
 * resolving `{ location, participantId, answer }`. Prepend it to a test's own helpers.
 */
export const WHIP_EXCHANGE_JS = `
  const gathered = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
    setTimeout(resolve, 5000);
  });
  const exchange = async (pc, url) => {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
    if (res.status !== 201) throw new Error(url + ': HTTP ' + res.status + ' ' + (await res.text()));
    const answer = await res.text();
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return { location: res.headers.get('location') ?? '', participantId: res.headers.get('x-itda-participant-id') ?? '', answer };
  };
`;

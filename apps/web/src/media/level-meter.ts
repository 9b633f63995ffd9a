/** Microphone level from a Web Audio AnalyserNode, as 0–1, about 30 times a second. */
export function startLevelMeter(stream: MediaStream, onLevel: (level: number) => void): () => void {
  if (stream.getAudioTracks().length === 0 || typeof AudioContext === 'undefined') return () => undefined;
  const ctx = new AudioContext();
  const source = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const buf = new Float32Array(analyser.fftSize);
  let level = 0;
  let stopped = false;
  const resume = (): void => {
    if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined);
  };
  resume();
  document.addEventListener('pointerdown', resume);
  const timer = window.setInterval(() => {
    if (stopped) return;
    analyser.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const v of buf) sum += v * v;
    const rms = Math.sqrt(sum / buf.length);
    // Roughly -60 dBFS → 0, 0 dBFS → 1; fast attack, slow release.
    const db = 20 * Math.log10(Math.max(rms, 1e-6));
    const target = Math.min(1, Math.max(0, (db + 60) / 60));
    level = target > level ? target : level * 0.85 + target * 0.15;
    onLevel(level);
  }, 33);
  return () => {
    stopped = true;
    window.clearInterval(timer);
    document.removeEventListener('pointerdown', resume);
    source.disconnect();
    void ctx.close().catch(() => undefined);
  };
}

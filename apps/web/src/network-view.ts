/**
 * The pre-join screen's network check (@itda/client checkNetwork): three reach rows
 * (the server's relay over UDP, TCP and TLS) and a sentence on what the NAT means for
 * calls. The section carries the findings as data attributes (`data-state`, `data-udp`,
 * `data-tcp`, `data-tls`, `data-nat`) for tests and styling. It never blocks joining.
 */
import { checkNetwork, type NetworkCheckResult, type Reach } from '@itda/client';
import { h } from './dom.ts';

const MARK: Record<Reach, string> = { yes: '✓ reachable', no: '✗ blocked', 'not-offered': '– not offered' };

/** What the finding means for a call, in one sentence. */
export function networkVerdict(r: NetworkCheckResult): string {
  if (r.udp === 'yes') {
    if (r.nat === 'changes-port') {
      return 'Your network gives each destination a new port (a “symmetric” NAT): calls with people on other networks go through the relay.';
    }
    if (r.nat === 'keeps-port' || r.nat === 'none')
      return 'Your network keeps your port for every destination: calls connect directly.';
    return 'Calls connect directly, or through the relay where they cannot.';
  }
  if (r.tcp === 'yes' || r.tls === 'yes') {
    return `UDP is blocked here: calls go through the relay over ${r.tls === 'yes' ? 'TLS' : 'TCP'} (a little more delay).`;
  }
  return 'The call server cannot be reached from this network for media: calls may not connect.';
}

/** A section that runs the check once and shows it; `stop` cancels a check still running. */
export function networkCheckView(token: string | undefined): { element: HTMLElement; stop: () => void } {
  const controller = new AbortController();
  const rows = {
    udp: h('dd', {}, '…'),
    tcp: h('dd', {}, '…'),
    tls: h('dd', {}, '…'),
  };
  const verdict = h('p', { class: 'network-verdict muted' }, 'Checking your network…');
  const element = h(
    'section',
    { class: 'network-check', 'aria-label': 'Network check', 'aria-live': 'polite', 'data-state': 'checking' },
    h('h2', {}, 'Network'),
    h(
      'dl',
      {},
      h('dt', {}, 'Server over UDP'),
      rows.udp,
      h('dt', {}, 'over TCP'),
      rows.tcp,
      h('dt', {}, 'over TLS'),
      rows.tls,
    ),
    verdict,
  );
  void checkNetwork({ ...(token === undefined ? {} : { token }), signal: controller.signal }).then((r) => {
    if (controller.signal.aborted) return;
    if (r === undefined) {
      element.dataset.state = 'unavailable';
      for (const row of Object.values(rows)) row.textContent = '–';
      verdict.textContent = 'The network check is not available right now.';
      return;
    }
    element.dataset.state = 'done';
    element.dataset.udp = r.udp;
    element.dataset.tcp = r.tcp;
    element.dataset.tls = r.tls;
    element.dataset.nat = r.nat;
    for (const kind of ['udp', 'tcp', 'tls'] as const) {
      rows[kind].textContent = MARK[r[kind]];
      rows[kind].className = `reach-${r[kind]}`;
    }
    verdict.textContent = networkVerdict(r);
  });
  return { element, stop: () => controller.abort() };
}

/**
 * `/metrics` in the Prometheus text exposition format 0.0.4. Labels are message types,
 * error codes, routes and statuses — never rooms or users.
 */
import type { SignalServer } from '@itda/signal/node';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** HTTP requests answered, by route and status. */
export class HttpCounters {
  readonly #counts = new Map<string, number>();

  count(route: string, status: number): void {
    const key = `${route}\u0000${status}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  entries(): [route: string, status: string, count: number][] {
    return [...this.#counts].map(([key, n]) => {
      const [route = '', status = ''] = key.split('\u0000');
      return [route, status, n];
    });
  }
}

const escapeLabel = (v: string): string => v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');

class Exposition {
  readonly lines: string[] = [];

  metric(
    name: string,
    type: 'gauge' | 'counter',
    help: string,
    samples: [labels: Record<string, string>, value: number][],
  ): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      this.lines.push(`${name}${l.length > 0 ? `{${l.join(',')}}` : ''} ${value}`);
    }
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

export function renderMetrics(signal: SignalServer, http: HttpCounters, startedAtMs: number): string {
  const stats = signal.core.stats();
  const m = signal.core.metrics;
  const e = new Exposition();
  e.metric('itda_rooms', 'gauge', 'Rooms open.', [[{}, stats.rooms]]);
  e.metric('itda_participants', 'gauge', 'Participants in rooms, including those in resume grace.', [
    [{}, stats.participants],
  ]);
  e.metric('itda_connections', 'gauge', 'Open signaling WebSocket connections.', [[{}, signal.connections]]);
  e.metric('itda_signal_connections_total', 'counter', 'Signaling connections accepted.', [[{}, m.connectionsOpened]]);
  e.metric('itda_signal_joins_total', 'counter', 'Successful joins.', [[{}, m.joins]]);
  e.metric('itda_signal_resumes_total', 'counter', 'Successful resumes.', [[{}, m.resumes]]);
  e.metric(
    'itda_signal_messages_total',
    'counter',
    'Valid signaling messages received, by type.',
    [...m.messages].map(([type, n]) => [{ type }, n]),
  );
  e.metric(
    'itda_signal_errors_total',
    'counter',
    'Bad inputs and forced closes, by code.',
    [...m.errors].map(([code, n]) => [{ code }, n]),
  );
  e.metric(
    'itda_http_requests_total',
    'counter',
    'HTTP requests answered, by route and status.',
    http.entries().map(([route, status, n]) => [{ route, status }, n]),
  );
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  e.metric('process_cpu_user_seconds_total', 'counter', 'User CPU time spent, seconds.', [[{}, cpu.user / 1e6]]);
  e.metric('process_cpu_system_seconds_total', 'counter', 'System CPU time spent, seconds.', [[{}, cpu.system / 1e6]]);
  e.metric('process_cpu_seconds_total', 'counter', 'Total CPU time spent, seconds.', [
    [{}, (cpu.user + cpu.system) / 1e6],
  ]);
  e.metric('process_resident_memory_bytes', 'gauge', 'Resident memory size, bytes.', [[{}, mem.rss]]);
  e.metric('nodejs_heap_size_used_bytes', 'gauge', 'V8 heap used, bytes.', [[{}, mem.heapUsed]]);
  e.metric('nodejs_heap_size_total_bytes', 'gauge', 'V8 heap total, bytes.', [[{}, mem.heapTotal]]);
  e.metric('process_start_time_seconds', 'gauge', 'Start time of the process, seconds since the epoch.', [
    [{}, Math.floor(startedAtMs / 1000)],
  ]);
  return e.text();
}

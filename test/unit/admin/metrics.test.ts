/** The Prometheus metrics, read at scrape time from fake components. */
import { describe, expect, it } from 'vitest';
import { createMetrics, type DnsStatsLike, type MetricsSource } from '../../../admin/metrics.js';
import type { HealthView, TargetHealth } from '../../../model/health.js';

const health = (states: Record<string, TargetHealth['state']>): HealthView => ({
  version: 1,
  get: (id) => (states[id] ? { state: states[id], latencyMs: undefined, load: undefined, reason: '', since: 0 } : undefined),
});

function dnsStats(over: Partial<DnsStatsLike> = {}): DnsStatsLike {
  return { received: 10, dropped: 1, udp: 8, tcp: 2, truncated: 3, rcodes: { NOERROR: 7, NXDOMAIN: 2 }, tcpAccepted: 2, tcpOpen: 1, tcpRejected: 0, tcpIdleClosed: 0, ...over };
}

function source(over: Partial<MetricsSource> = {}): MetricsSource {
  return {
    version: '0.1.0',
    nodeId: 'node-a',
    dnsStats: () => dnsStats(),
    poolAnswers: () => [
      {
        key: 'www.example.test./A',
        name: 'www.example.test.',
        type: 'A',
        answersTotal: 5,
        members: [
          { address: '192.0.2.10', first: 3, included: 5 },
          { address: '192.0.2.11', first: 2, included: 5 },
        ],
      },
    ],
    targets: () => ['t-up', 't-down', 't-new'],
    health: () => health({ 't-up': 'up', 't-down': 'down' }),
    zoneLoads: () => [['example.test.', { loaded: 2, failed: 1 }]],
    ...over,
  };
}

const line = (text: string, prefix: string): string | undefined => text.split('\n').find((l) => l.startsWith(prefix));

describe('admin metrics', () => {
  it('exposes DNS responses, pool answers, target health and zone loads', async () => {
    const text = await createMetrics(source(), { processMetrics: false }).render();
    expect(line(text, 'rondo_dns_responses_total{rcode="NOERROR"}')).toBe('rondo_dns_responses_total{rcode="NOERROR"} 7');
    expect(line(text, 'rondo_dns_responses_total{rcode="NXDOMAIN"}')).toBe('rondo_dns_responses_total{rcode="NXDOMAIN"} 2');
    expect(line(text, 'rondo_dns_messages_total{transport="tcp"}')).toBe('rondo_dns_messages_total{transport="tcp"} 2');
    expect(line(text, 'rondo_dns_truncated_total')).toBe('rondo_dns_truncated_total 3');
    expect(line(text, 'rondo_dns_tcp_connections')).toBe('rondo_dns_tcp_connections 1');
    expect(text).toContain('rondo_pool_answers_total{pool="www.example.test.",type="A",member="192.0.2.10",position="first"} 3');
    expect(text).toContain('rondo_pool_answers_total{pool="www.example.test.",type="A",member="192.0.2.11",position="included"} 5');
    expect(text).toContain('rondo_target_up{target="t-up"} 1');
    expect(text).toContain('rondo_target_up{target="t-down"} 0');
    expect(text).toContain('rondo_target_up{target="t-new"} -1');
    expect(text).toContain('rondo_zone_reloads_total{zone="example.test.",result="loaded"} 2');
    expect(text).toContain('rondo_zone_reloads_total{zone="example.test.",result="failed"} 1');
    expect(text).toContain('rondo_info{version="0.1.0",node="node-a"} 1');
    // Not configured: not exposed at all.
    expect(text).not.toContain('rondo_redis_connected');
    expect(text).not.toContain('rondo_rrl_');
    expect(text).not.toContain('rondo_dns_queries_total');
  });

  it('reads the counters again on every scrape', async () => {
    let noerror = 1;
    const m = createMetrics(source({ dnsStats: () => dnsStats({ rcodes: { NOERROR: noerror } }) }), { processMetrics: false });
    expect(await m.render()).toContain('rondo_dns_responses_total{rcode="NOERROR"} 1');
    noerror = 41;
    expect(await m.render()).toContain('rondo_dns_responses_total{rcode="NOERROR"} 41');
  });

  it('exposes Redis connectivity, RRL counters and per-zone query counts when there are any', async () => {
    let connected = true;
    const m = createMetrics(
      source({
        redisConnected: () => connected,
        rrlStats: () => ({ checked: 9, exempt: 4, limited: 3, slipped: 1, dropped: 2, entries: 5 }),
        queryCounts: () => [{ zone: 'example.test.', qtype: 'A', rcode: 'NOERROR', count: 6 }],
      }),
      { processMetrics: false },
    );
    let text = await m.render();
    expect(text).toContain('rondo_redis_connected 1');
    expect(text).toContain('rondo_rrl_responses_total{outcome="dropped"} 2');
    expect(text).toContain('rondo_rrl_buckets 5');
    expect(text).toContain('rondo_dns_queries_total{zone="example.test.",qtype="A",rcode="NOERROR"} 6');
    connected = false;
    text = await m.render();
    expect(text).toContain('rondo_redis_connected 0');
  });

  it('shows, with --workers, how many workers the DNS counters cover and the requests they left unanswered', async () => {
    let workers = { running: 2, answered: 2, unanswered: 0 };
    const m = createMetrics(source({ workers: () => workers }), { processMetrics: false });
    let text = await m.render();
    expect(text).toContain('rondo_workers{state="answered"} 2');
    expect(text).toContain('rondo_workers{state="unanswered"} 0');
    expect(text).toContain('rondo_worker_stats_timeouts_total 0');
    workers = { running: 2, answered: 1, unanswered: 3 };
    text = await m.render();
    expect(text).toContain('rondo_workers{state="answered"} 1');
    expect(text).toContain('rondo_workers{state="unanswered"} 1');
    expect(text).toContain('rondo_worker_stats_timeouts_total 3');
    expect(await createMetrics(source(), { processMetrics: false }).render()).not.toContain('rondo_workers');
  });

  it('keeps a histogram of probe latencies by check kind and result', async () => {
    const m = createMetrics(source(), { processMetrics: false });
    m.observeProbe('http', true, 3);
    m.observeProbe('http', true, 30);
    m.observeProbe('tcp', false, 1000);
    m.observeProbe('tcp', false, Number.NaN);
    const text = await m.render();
    expect(text).toContain('rondo_probe_latency_seconds_count{kind="http",result="ok"} 2');
    expect(text).toContain('rondo_probe_latency_seconds_bucket{le="0.005",kind="http",result="ok"} 1');
    expect(text).toContain('rondo_probe_latency_seconds_count{kind="tcp",result="fail"} 1');
    expect(text).toContain('rondo_probe_latency_seconds_sum{kind="tcp",result="fail"} 1');
  });

  it('adds the Node process metrics by default', async () => {
    const text = await createMetrics(source()).render();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

/**
 * Flume's counter groups in the Prometheus text exposition format (version 0.0.4), from the same
 * snapshot the JSON reporter prints (`{"CHANNEL.c1": {"ChannelSize": "0", ...}}`).
 *
 * Names: `flume_<group type>_<counter in snake case>`, with the type not repeated
 * (`CHANNEL.c1` ChannelSize → `flume_channel_size`), and the component as a label:
 * `flume_channel_size{component="c1"} 0`. Levels (ChannelSize, ChannelCapacity,
 * ChannelFillPercentage, OpenConnectionCount, Open, Unhealthy) are gauges; every other counter
 * only grows and is a Prometheus counter, its `Count` suffix replaced by `_total`
 * (`EventPutSuccessCount` → `flume_channel_event_put_success_total`). StartTime and StopTime
 * become `flume_<type>_start_time_seconds` and `_stop_time_seconds` gauges. Values that are not
 * numbers are left out.
 */

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const GAUGES = new Set([
  'ChannelSize',
  'ChannelCapacity',
  'ChannelFillPercentage',
  'OpenConnectionCount',
  'Open',
  'Unhealthy',
]);

interface Family {
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly samples: string[];
}

function snake(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_]/g, '_')
    .toLowerCase();
}

function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Metric name and kind for one counter of a group type. */
export function prometheusName(
  groupType: string,
  counter: string,
): { name: string; type: 'counter' | 'gauge' } {
  const type = snake(groupType);
  if (counter === 'StartTime' || counter === 'StopTime')
    return { name: `flume_${type}_${snake(counter)}_seconds`, type: 'gauge' };
  let base = snake(counter);
  if (base.startsWith(`${type}_`)) base = base.slice(type.length + 1);
  if (GAUGES.has(counter)) return { name: `flume_${type}_${base}`, type: 'gauge' };
  return { name: `flume_${type}_${base.replace(/_count$/, '')}_total`, type: 'counter' };
}

export function renderPrometheus(
  snapshot: Readonly<Record<string, Readonly<Record<string, string>>>>,
): string {
  const families = new Map<string, Family>();
  for (const [key, counters] of Object.entries(snapshot)) {
    const dot = key.indexOf('.');
    const groupType = counters.Type ?? (dot < 0 ? 'OTHER' : key.slice(0, dot));
    const component = dot < 0 ? key : key.slice(dot + 1);
    for (const [counter, text] of Object.entries(counters)) {
      if (counter === 'Type') continue;
      let value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) continue;
      if (counter === 'StartTime' || counter === 'StopTime') value /= 1000;
      const { name, type } = prometheusName(groupType, counter);
      let family = families.get(name);
      if (!family) {
        family = { type, help: `Flume ${groupType} counter ${counter}`, samples: [] };
        families.set(name, family);
      }
      family.samples.push(`${name}{component="${labelValue(component)}"} ${value}`);
    }
  }
  let out = '';
  for (const [name, f] of [...families].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    out += `# HELP ${name} ${f.help}\n# TYPE ${name} ${f.type}\n${f.samples.join('\n')}\n`;
  }
  return out;
}

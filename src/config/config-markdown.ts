import type { ConfigDocRow } from './config-def.ts';

/** Renders a configuration definition's rows as a Markdown reference table. */
export function renderConfigMarkdown(title: string, intro: string, rows: readonly ConfigDocRow[]): string {
  const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const lines = [
    `# ${title}`,
    '',
    intro,
    '',
    '| key | type | default | valid values | importance | description |',
    '|---|---|---|---|---|---|',
    ...[...rows]
      .sort((a, b) => a.key.localeCompare(b.key))
      .map(
        (r) =>
          `| \`${r.key}\` | ${r.type} | ${r.default === '' ? '' : `\`${cell(r.default)}\``} | ${cell(r.validValues)} | ${r.importance} | ${cell(r.doc)} |`,
      ),
    '',
  ];
  return lines.join('\n');
}

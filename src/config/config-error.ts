import { SluiceError } from '../base/index.ts';

/** One problem with one configuration value. */
export interface ConfigIssue {
  /** Where the value came from: a file path, `--override`, `defaults`... */
  readonly source: string;
  /** 1-based line in `source`, when it is a file. */
  readonly line?: number;
  /** The key; empty for a problem with the source itself (an unreadable file). */
  readonly key: string;
  /** The raw text given, or undefined when the value is missing. */
  readonly value?: string;
  /** What was expected, phrased to follow "expected ...": `an int in [1, 2147483647]`. */
  readonly expected: string;
}

/** Formats one issue as `file:line: key=value: expected ...` (the shape every config error uses). */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.source : `${issue.source}:${issue.line}`;
  if (issue.key === '') return `${where}: expected ${issue.expected}`;
  const what =
    issue.value === undefined
      ? `missing value for '${issue.key}'`
      : `invalid value ${JSON.stringify(issue.value)} for '${issue.key}'`;
  return `${where}: ${what}: expected ${issue.expected}`;
}

/**
 * A configuration that cannot be used. Names the file, the key, the value and the expectation of
 * every problem found (all are reported at once, so a user fixes a file in one pass).
 */
export class ConfigError extends SluiceError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options?: { cause?: unknown }) {
    const first = issues[0];
    const message =
      issues.length === 1 && first
        ? formatConfigIssue(first)
        : `${issues.length} configuration errors:\n${issues.map((i) => `  ${formatConfigIssue(i)}`).join('\n')}`;
    super('CONFIG', message, options);
    this.issues = issues;
  }

  /** The first issue's key, for callers that handle one problem at a time. */
  get key(): string | undefined {
    return this.issues[0]?.key;
  }
}

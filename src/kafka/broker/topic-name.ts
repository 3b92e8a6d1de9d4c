/** Kafka's limit on topic names (249, so that partition directory names stay under 255). */
export const TOPIC_NAME_LENGTH_MAX = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Why a topic name is not legal in Kafka, or null when it is. */
export function topicNameProblem(name: string): string | null {
  if (name.length === 0) return 'topic name is empty';
  if (name === '.' || name === '..') return `topic name cannot be "${name}"`;
  if (name.length > TOPIC_NAME_LENGTH_MAX)
    return `topic name is longer than ${TOPIC_NAME_LENGTH_MAX} characters`;
  if (!LEGAL.test(name)) return 'topic name may contain only ASCII letters, digits, ".", "_" and "-"';
  return null;
}

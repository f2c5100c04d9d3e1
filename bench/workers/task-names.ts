/**
 * The tasks the bench sends, by AMQP `type`. Plain strings in a file with no
 * imports, so the plain-amqplib worker loads nothing of Nest or the library.
 */
export const TaskNames = {
  /** The real tutorial task (apps/worker's handler): prints two lines. Bench texts have no dots, so no sleep. */
  tutorial: 'tutorial',
  /** Like the tutorial task, and the handler records enqueue-to-start latency. */
  latency: 'bench-latency',
  /** Like the tutorial task, and the handler awaits a SLEEP_MS timer between its two lines. */
  sleep: 'bench-sleep',
} as const;

export type TaskName = (typeof TaskNames)[keyof typeof TaskNames];

/** How long a `bench-sleep` handler waits, in ms. */
export const SLEEP_MS = 10;

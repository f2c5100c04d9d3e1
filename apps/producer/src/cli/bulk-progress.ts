import { createReadStream } from 'node:fs';
import cliProgress from 'cli-progress';

/**
 * A progress bar (done/total, rate, ETA) while a bulk enqueue runs on a
 * terminal; nothing when output is piped, where the summary line suffices.
 */
export class BulkProgress {
  private readonly bar = process.stderr.isTTY
    ? new cliProgress.SingleBar(
        { format: ' {bar} {value}/{total} confirmed | {rate}/s | ETA {eta_formatted}', hideCursor: true, etaBuffer: 200 },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  private value = 0;
  private startedAt = 0;

  /** `file`: counted up front for the total; unknown for stdin. */
  constructor(private readonly file?: string) {}

  async start(): Promise<void> {
    this.startedAt = Date.now();
    if (!this.bar) return;
    this.bar.start(this.file ? await countLines(this.file) : 0, 0, { rate: 0 });
  }

  settled(ok: boolean): void {
    if (!ok || !this.bar) return;
    this.value++;
    if (this.value % 50 === 0) this.bar.update(this.value, { rate: Math.round(this.value / ((Date.now() - this.startedAt) / 1000 || 1)) });
  }

  stop(): void {
    if (!this.bar) return;
    this.bar.update(this.value);
    this.bar.stop();
  }
}

/** Non-empty lines, as the sender skips empty ones. */
async function countLines(file: string): Promise<number> {
  let lines = 0;
  let lineHasText = false;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (byte === 10) {
        if (lineHasText) lines++;
        lineHasText = false;
      } else if (byte !== 13) lineHasText = true;
    }
  }
  return lineHasText ? lines + 1 : lines;
}

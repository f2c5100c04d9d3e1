import { pythonRepr, TaskHandler, TutorialTask } from '@app/tasks';
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { setTimeout as sleep } from 'node:timers/promises';
import { TUTORIAL_SETTINGS, type TutorialSettings } from './tutorial.settings.js';

/** Tasks whose text holds this word fail, the way dots stand for work: for demos and tests. */
const POISON = /\bpoison\b/i;

/**
 * The tutorial's worker.py as a task handler: one second (MS_PER_DOT) of work
 * per dot. It never acks: the worker server does once it returns.
 */
@Controller()
export class TutorialTaskHandler {
  constructor(@Inject(TUTORIAL_SETTINGS) private readonly settings: TutorialSettings) {}

  @TaskHandler(TutorialTask)
  async work(@Payload() text: string): Promise<void> {
    this.settings.print(` [x] Received ${pythonRepr(text)}`);
    const dots = countDots(text);
    if (dots > 0 && this.settings.msPerDot > 0) {
      await sleep(dots * this.settings.msPerDot);
    }
    if (POISON.test(text)) {
      throw new Error('the task contains the word poison');
    }
    this.settings.print(' [x] Done');
  }
}

function countDots(text: string): number {
  let dots = 0;
  for (let i = text.indexOf('.'); i !== -1; i = text.indexOf('.', i + 1)) dots++;
  return dots;
}

import { z } from 'zod';
import { defineTask } from './task-contract.js';

/**
 * The tutorial's task: a line of text whose dots are seconds of work. A plain
 * body with no `type` (what the tutorial's own new_task.py sends) is read as one.
 */
export const TutorialTask = defineTask('tutorial', {
  encoding: 'text',
  schema: z.string(),
});

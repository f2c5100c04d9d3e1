import { TaskPublisher, TaskPublishError, TutorialTask } from '@app/tasks';
import { Body, Controller, HttpCode, HttpStatus, Post, ServiceUnavailableException } from '@nestjs/common';
import { type CreateTaskDto, createTaskSchema } from './create-task.dto.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

/** The tutorial's "web application" use: an HTTP request enqueues a task. */
@Controller('tasks')
export class TasksController {
  constructor(private readonly publisher: TaskPublisher) {}

  /** 202 only once the broker has confirmed the task; 503 when it cannot. */
  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  async create(@Body(new ZodValidationPipe(createTaskSchema)) body: CreateTaskDto): Promise<{ id: string }> {
    try {
      return { id: await this.publisher.enqueue(TutorialTask, body.text) };
    } catch (error) {
      if (error instanceof TaskPublishError) {
        throw new ServiceUnavailableException(error.message);
      }
      throw error;
    }
  }
}

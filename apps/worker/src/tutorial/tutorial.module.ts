import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { printLine } from './console-lines.js';
import { TutorialTaskHandler } from './tutorial-task.handler.js';
import { TUTORIAL_SETTINGS, type TutorialSettings } from './tutorial.settings.js';

@Module({
  controllers: [TutorialTaskHandler],
  providers: [
    {
      provide: TUTORIAL_SETTINGS,
      inject: [ConfigService],
      useFactory: (config: ConfigService): TutorialSettings => ({
        msPerDot: config.getOrThrow<number>('MS_PER_DOT'),
        print: printLine,
      }),
    },
  ],
})
export class TutorialModule {}

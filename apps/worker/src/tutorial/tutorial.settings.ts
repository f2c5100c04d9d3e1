export const TUTORIAL_SETTINGS = Symbol('TUTORIAL_SETTINGS');

export interface TutorialSettings {
  /** Milliseconds of work per dot. */
  msPerDot: number;
  /** Writes one of the tutorial's lines to stdout. */
  print(line: string): void;
}

import { MalformedTaskError } from '../contract/task-errors.js';
import { TaskDeserializer } from './task-deserializer.js';

const body = (text: string) => Buffer.from(text, 'utf8');

describe('TaskDeserializer', () => {
  const deserializer = new TaskDeserializer();

  describe('with a type property', () => {
    it('uses the type as the pattern and a text/plain body as UTF-8 text', () => {
      expect(deserializer.deserialize(body('Héllo wörld...'), { type: 'resize', contentType: 'text/plain' })).toEqual({
        pattern: 'resize',
        data: 'Héllo wörld...',
      });
    });

    it('keeps a text body that looks like JSON as text', () => {
      expect(deserializer.deserialize(body('{"a":1}'), { type: 'note', contentType: 'text/plain' })).toEqual({
        pattern: 'note',
        data: '{"a":1}',
      });
    });

    it('parses an application/json body', () => {
      expect(
        deserializer.deserialize(body('{"width":640,"tags":["a"]}'), { type: 'resize', contentType: 'application/json' }),
      ).toEqual({ pattern: 'resize', data: { width: 640, tags: ['a'] } });
    });

    it('parses JSON content types with parameters or a +json suffix', () => {
      expect(deserializer.deserialize(body('[1,2]'), { type: 't', contentType: 'application/json; charset=utf-8' }).data).toEqual([1, 2]);
      expect(deserializer.deserialize(body('{"x":1}'), { type: 't', contentType: 'application/vnd.task+json' }).data).toEqual({ x: 1 });
    });

    it('throws MalformedTaskError (invalid-json) for a JSON body that does not parse', () => {
      let thrown: unknown;
      try {
        deserializer.deserialize(body('{"width": 640,'), { type: 'resize', contentType: 'application/json' });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(MalformedTaskError);
      expect((thrown as MalformedTaskError).reason).toBe('invalid-json');
    });
  });

  describe('without a type property', () => {
    it("reads the tutorial's new_task.py body as the tutorial task", () => {
      // pika: basic_publish(body='Hello World!', properties=BasicProperties(delivery_mode=2)): no type, no content type.
      expect(deserializer.deserialize(body('Hello World!'), { deliveryMode: 2 })).toEqual({
        pattern: 'tutorial',
        data: 'Hello World!',
      });
    });

    it('reads the tutorial task when no properties are given at all', () => {
      expect(deserializer.deserialize(body('Third message...'))).toEqual({ pattern: 'tutorial', data: 'Third message...' });
    });

    it('unwraps the Nest envelope that ClientRMQ.emit sends', () => {
      const envelope = JSON.stringify({ pattern: 'resize', data: { width: 640 } });
      expect(deserializer.deserialize(body(envelope), {})).toEqual({ pattern: 'resize', data: { width: 640 } });
    });

    it('reads text that starts with { but is no envelope as a tutorial task, unchanged', () => {
      for (const text of ['{not json at all', '{"data": 1}', '{"pattern": null, "data": 1}']) {
        expect(deserializer.deserialize(body(text), {})).toEqual({ pattern: 'tutorial', data: text });
      }
    });

    it('uses a configured default task name', () => {
      expect(new TaskDeserializer('work').deserialize(body('Hello'), {})).toEqual({ pattern: 'work', data: 'Hello' });
    });
  });

  // Nest's stock ServerRMQ hands the deserializer JSON.parse(body) when that works, else the body as a string.
  describe('with values the stock Nest transport already parsed', () => {
    it('reads a plain string as the tutorial task', () => {
      expect(deserializer.deserialize('Hello World!', {})).toEqual({ pattern: 'tutorial', data: 'Hello World!' });
    });

    it('unwraps an envelope object', () => {
      expect(deserializer.deserialize({ pattern: 'resize', data: { width: 640 } }, {})).toEqual({
        pattern: 'resize',
        data: { width: 640 },
      });
    });

    it('passes a parsed JSON object through for a typed JSON task', () => {
      expect(deserializer.deserialize({ width: 640 }, { type: 'resize', contentType: 'application/json' })).toEqual({
        pattern: 'resize',
        data: { width: 640 },
      });
    });

    it('keeps a typed text task as a string', () => {
      expect(deserializer.deserialize('Hello', { type: 'greet', contentType: 'text/plain' })).toEqual({
        pattern: 'greet',
        data: 'Hello',
      });
    });

    it('passes a parsed JSON string through for a typed JSON task', () => {
      // The body was `"hello"` (valid JSON); the stock transport already parsed it to the string hello.
      expect(deserializer.deserialize('hello', { type: 'greet', contentType: 'application/json' })).toEqual({
        pattern: 'greet',
        data: 'hello',
      });
    });
  });
});

import { maskBrokerUrl, maskSecrets, parseBrokerUrls } from './broker-url.js';

describe('parseBrokerUrls', () => {
  it('splits a comma-separated list and trims each URL', () => {
    expect(parseBrokerUrls(' amqp://u:p@a:5672/vh , amqps://b ,')).toEqual(['amqp://u:p@a:5672/vh', 'amqps://b']);
  });

  it('refuses a non-AMQP URL, saying which schemes it takes', () => {
    expect(() => parseBrokerUrls('http://x')).toThrow("'http://x' must start with amqp:// or amqps://");
  });

  it.each(['not a url', 'localhost:5672'])('refuses garbage (%s)', (value) => {
    expect(() => parseBrokerUrls(value)).toThrow(/is not a URL|must start with amqp/);
  });

  it('refuses an empty list', () => {
    expect(() => parseBrokerUrls(' , ')).toThrow('no broker URL given');
  });

  it('masks the password of a refused URL', () => {
    expect(() => parseBrokerUrls('http://user:secret@x')).toThrow("'http://user:***@x' must start");
  });
});

describe('maskBrokerUrl', () => {
  it.each([
    ['amqp://user:pass@host:5672/vh', 'amqp://user:***@host:5672/vh'],
    ['amqps://guest:guest@localhost', 'amqps://guest:***@localhost'],
    ['amqp://user:p%40ss@host', 'amqp://user:***@host'],
  ])('masks the password of %s', (url, masked) => {
    expect(maskBrokerUrl(url)).toBe(masked);
  });

  it.each(['amqp://user@host:5672/vh', 'amqp://host:5672/vh', 'amqp://localhost'])('leaves %s without a password unchanged', (url) => {
    expect(maskBrokerUrl(url)).toBe(url);
  });
});

describe('maskSecrets', () => {
  it('masks every broker URL inside a text', () => {
    expect(maskSecrets('tried amqp://a:one@h1 then amqps://b:two@h2:5671/vh')).toBe('tried amqp://a:***@h1 then amqps://b:***@h2:5671/vh');
  });

  it('masks the bare password of a known URL wherever it appears', () => {
    const text = "ACCESS_REFUSED - user 'u' with password 's3cret!' refused";
    expect(maskSecrets(text, ['amqp://u:s3cret!@h'])).toBe("ACCESS_REFUSED - user 'u' with password '***' refused");
  });

  it('masks a percent-encoded password in its decoded form', () => {
    expect(maskSecrets('password p@ss/word rejected', ['amqp://u:p%40ss%2Fword@h'])).toBe('password *** rejected');
  });

  it('leaves very short passwords in plain text, so unrelated text is not mangled', () => {
    expect(maskSecrets('queue ab is gone', ['amqp://u:ab@h'])).toBe('queue ab is gone');
  });

  it('leaves text without secrets unchanged', () => {
    expect(maskSecrets('connect ECONNREFUSED 127.0.0.1:5672', ['amqp://u:secret@h'])).toBe('connect ECONNREFUSED 127.0.0.1:5672');
  });
});

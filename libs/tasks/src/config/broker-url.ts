/** Splits a comma-separated `AMQP_URL` and checks each entry is an AMQP URL. */
export function parseBrokerUrls(value: string): string[] {
  const urls = value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
  if (urls.length === 0) {
    throw new Error('no broker URL given');
  }
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`'${maskBrokerUrl(url)}' is not a URL`);
    }
    if (parsed.protocol !== 'amqp:' && parsed.protocol !== 'amqps:') {
      throw new Error(`'${maskBrokerUrl(url)}' must start with amqp:// or amqps://`);
    }
    if (!parsed.hostname) {
      throw new Error(`'${maskBrokerUrl(url)}' has no host`);
    }
  }
  return urls;
}

/**
 * `amqp://user:secret@host` becomes `amqp://user:***@host`, so logs never
 * carry a password. Works on malformed URLs too (a `/` in the password, a
 * missing slash), since those are the ones error messages echo.
 */
export function maskBrokerUrl(url: string): string {
  const at = url.lastIndexOf('@');
  if (at === -1) return url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/{0,2}/i.exec(url)?.[0] ?? '';
  const userInfo = url.slice(scheme.length, at);
  const colon = userInfo.indexOf(':');
  if (colon === -1) return url;
  return `${scheme}${userInfo.slice(0, colon)}:***${url.slice(at)}`;
}

/** Masks every broker URL that appears inside a text, such as an error message. */
export function maskSecrets(text: string, urls: readonly string[] = []): string {
  let masked = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:@/\s]*):[^@/\s]*@/gi, '$1:***@');
  for (const url of urls) {
    const password = safePassword(url);
    if (password) {
      masked = masked.split(password).join('***');
    }
  }
  return masked;
}

function safePassword(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    // Masking a one-character password would mangle unrelated text.
    return password.length > 2 ? password : undefined;
  } catch {
    return undefined;
  }
}

/** An error text fit for one log line: passwords masked, line breaks folded. */
export function maskedLine(text: string, urls: readonly string[] = []): string {
  return maskSecrets(text, urls).replace(/\s*\n\s*/g, ' ');
}

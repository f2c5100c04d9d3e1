/**
 * A string as Python's `%r` shows it, so the worker's lines match the
 * tutorial's worker.py: single quotes unless the text holds one and no double.
 */
export function pythonRepr(text: string): string {
  // Most tasks need no escaping: skip the loop.
  if (!NEEDS_ESCAPING.test(text)) return `'${text}'`;
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (char === '\\') out += '\\\\';
    else if (char === quote) out += `\\${quote}`;
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += char;
  }
  return out + quote;
}

const NEEDS_ESCAPING = /['"\\\x00-\x1f\x7f]/;

import { pythonRepr } from './python-repr.js';

describe('pythonRepr', () => {
  it.each([
    ['First message.', "'First message.'"],
    ["it's", `"it's"`],
    [`it's "x"`, `'it\\'s "x"'`],
    ['say "hi"', `'say "hi"'`],
    ['a\nb', "'a\\nb'"],
    ['tab\there\r', "'tab\\there\\r'"],
    ['C:\\dir', "'C:\\\\dir'"],
    ['bell\u0007', "'bell\\x07'"],
    ['', "''"],
    ['héllo ✓', "'héllo ✓'"],
  ])('shows %j as Python %%r does: %s', (text, expected) => {
    expect(pythonRepr(text)).toBe(expected);
  });
});

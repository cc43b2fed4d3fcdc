// Values that break naive quoting somewhere, PowerShell's traps first, and
// seeded random strings weighted towards the characters that matter.
import fc from 'fast-check';

const TEN_KB = (() => {
  const chunk = `ab'c"d\\e$f\`g\n\u2019h\u2018;i\u201A\u201Bé `;
  return chunk.repeat(Math.ceil(10240 / chunk.length)).slice(0, 10240);
})();

export const HOSTILE: readonly string[] = [
  // The five characters PowerShell's tokenizer reads as a single quote, alone, doubled, mixed.
  "'", '\u2018', '\u2019', '\u201A', '\u201B', "''", "'''", "\u2018\u2019\u201A\u201B'", "x\u2019\u2019y", "x'\u2019y",
  "\u2019; New-Item PWNED #", "'; New-Item PWNED; '", "\u201B)+(New-Item PWNED)+(\u201B",
  // Double quotes (also the smart ones) and here-string ends.
  '"', '\u201C', '\u201D', '\u201E', '"@', "'@", '\n"@\n', "\n'@\n", '@"\n', "@'\n",
  // Expansion: none of it may happen.
  '$', '$$', '$?', '$^', '$_', '$env:HOME', '${env:HOME}', '$(New-Item PWNED)', '@(New-Item PWNED)', '$HOME',
  '`', '``', '`n', '`$', '`0', "`'", '`u{41}', 'trailing`', '`\n', '$(touch PWNED)', '`touch PWNED`',
  // Statement and comment syntax.
  '; New-Item PWNED', '& New-Item PWNED', '| New-Item PWNED', '&& New-Item PWNED', '|| New-Item PWNED',
  '#', '<#', '#>', '<# x #>', '# comment', 'a #b', '--%', '-', '--', '-ErrorAction', '--help', '@{}', '@()', '{}',
  '[]', '[char]39', '::', '%', '?', '*', '~', '>', '<', '2>&1', '>$null',
  // Backslashes (Windows paths) and escapes of other shells.
  '\\', '\\\\', 'trailing\\', "\\'", 'c:\\dir\\', '\\n', '\\x41', '\\u2019',
  // Line ends and other whitespace.
  '\n', 'a\nb', '\n\n\n', 'ends with newlines\n\n', '\t', 'a\tb', '\v', '\f',
  '\r', 'a\r\nb', '\r\n', 'a\rb', 'ends with CR\r',
  '', ' ', '  leading', 'trailing  ', '\u00A0', '\u0085', '\u2028', '\u2029', '\uFEFF', '\u200B',
  // Non-ASCII: the console encoding decides how these come back.
  'héllo wörld', 'Grüße', '日本語のテキスト', '🔑🚀👩‍👩‍👧', 'e\u0301', '\u00FF\u00FE', 'ÿ', '€', 'Ω≈ç√∫',
  '\x1b[31mred\x1b[0m', '\x07', '\x7f', '\x01\x02\x1f', '\u{10FFFF}', '\uFFFD', '\uE000',
  'IQoJb3JpZ2luX2Vj/+token==',
  TEN_KB,
];

const SPECIAL = [
  "'", '\u2018', '\u2019', '\u201A', '\u201B', '"', '\u201C', '\u201D', '\u201E', '`', '$', '@', '(', ')', '{', '}',
  '[', ']', '#', '<', '>', '|', '&', ';', ',', '\\', '-', '%', '\n', '\r', '\t', ' ', '\u00A0', '\u0085', '\u2028',
  '\uFEFF', 'é', '€', '🔑',
];
const codePoint = fc
  .integer({ min: 1, max: 0x10ffff })
  .filter((c) => c < 0xd800 || c > 0xdfff)
  .map((c) => String.fromCodePoint(c));
const VALUE = fc.string({
  unit: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...SPECIAL) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 0x7f }).map((c) => String.fromCharCode(c)) },
    { weight: 3, arbitrary: codePoint },
  ),
  maxLength: 64,
});

/** Fixed, so a failure reproduces; FC_SEED=<n> tries another. */
export const SEED = Number(process.env.FC_SEED ?? 20_251_130);
export const RANDOM_COUNT = 200;
export const randomValues = (): string[] => fc.sample(VALUE, { seed: SEED, numRuns: RANDOM_COUNT });

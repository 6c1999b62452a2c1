/**
 * nftOneLine: an `nft -f` script → the same script as one line, for a long-lived `nft -i` (pure).
 *
 * `nft -i` runs each line it reads as one transaction, so the agent's atomic scripts (a table's
 * declare + delete + re-create, a set's flush + add) must reach it as a single line to stay
 * all-or-nothing. nft's grammar takes `;` wherever it takes a newline between commands, block
 * statements and rules, and a block may open on the same line as its first statement:
 * a line ending in `{` is followed by a space, every other line by ` ; `.
 * That is not true inside an expression (`elements = { a,` newline `b }` would become `{ a, ; b }`),
 * so a script this cannot prove safe gives null and runs as a process of its own: a line ending
 * in `,`, a line whose braces do not balance other than a block opener (`… {`) or closer (`}`),
 * a `#` (a comment), an `include` or `define`, or a quote left open.
 */
export function nftOneLine(script: string): string | null {
  const lines = script
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (!lines.length) return null;
  let out = '';
  for (const [i, line] of lines.entries()) {
    if (!safe(line)) return null;
    out += i === 0 ? line : lines[i - 1].endsWith('{') ? ` ${line}` : ` ; ${line}`;
  }
  return out;
}

function safe(line: string): boolean {
  if (line.endsWith(',')) return false;
  const quotes = line.split('"').length - 1;
  if (quotes % 2) return false;
  const bare = line.replace(/"[^"]*"/g, '""'); // braces, `#` and `;` inside strings are text
  if (bare.includes('#') || /^(?:include|define|undefine|redefine)\b/.test(bare)) return false;
  let depth = 0;
  for (const ch of bare) {
    if (ch === '{') depth++;
    else if (ch === '}' && --depth < 0 && bare !== '}') return false;
  }
  if (bare === '}') return true;
  return depth === 0 || (depth === 1 && bare.endsWith('{'));
}

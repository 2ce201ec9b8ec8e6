/**
 * cargo-generate's case filters (`{{ project-name | upper_camel_case }}`), with the word splitting
 * of the heck crate it uses: words break at non-alphanumeric characters, at a lower-case letter or
 * digit followed by an upper-case one, and before the last capital of an acronym ("HTTPServer" →
 * "HTTP", "Server"). Digits stay with the word they follow.
 */
export function splitWords(input: string): string[] {
  const words: string[] = [];
  for (const chunk of input.split(/[^\p{L}\p{N}]+/u)) {
    if (!chunk) continue;
    let word = '';
    const chars = [...chunk];
    chars.forEach((c, i) => {
      const prev = chars[i - 1];
      const next = chars[i + 1];
      const upper = isUpper(c);
      const boundary = word !== '' && upper && prev !== undefined && ((!isUpper(prev) && isCased(prev)) || isDigit(prev) || (isUpper(prev) && next !== undefined && isLower(next)));
      if (boundary) {
        words.push(word);
        word = '';
      }
      word += c;
    });
    if (word) words.push(word);
  }
  return words;
}

function isUpper(c: string): boolean {
  return c !== c.toLowerCase() && c === c.toUpperCase();
}
function isLower(c: string): boolean {
  return c !== c.toUpperCase() && c === c.toLowerCase();
}
function isCased(c: string): boolean {
  return isUpper(c) || isLower(c);
}
function isDigit(c: string): boolean {
  return /\p{N}/u.test(c);
}

const capitalise = (w: string) => (w ? w[0]!.toUpperCase() + w.slice(1).toLowerCase() : w);

/** Filter name → conversion, as cargo-generate registers them. */
export const caseFilters: Record<string, (input: string) => string> = {
  kebab_case: (s) => splitWords(s).map((w) => w.toLowerCase()).join('-'),
  snake_case: (s) => splitWords(s).map((w) => w.toLowerCase()).join('_'),
  shouty_kebab_case: (s) => splitWords(s).map((w) => w.toUpperCase()).join('-'),
  shouty_snake_case: (s) => splitWords(s).map((w) => w.toUpperCase()).join('_'),
  upper_camel_case: (s) => splitWords(s).map(capitalise).join(''),
  pascal_case: (s) => splitWords(s).map(capitalise).join(''),
  lower_camel_case: (s) => splitWords(s).map((w, i) => (i === 0 ? w.toLowerCase() : capitalise(w))).join(''),
  title_case: (s) => splitWords(s).map(capitalise).join(' '),
};

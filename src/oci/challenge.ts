/**
 * `WWW-Authenticate` parsing (RFC 7235): one or more challenges, each a scheme followed by
 * either a token68 or comma-separated `key=value` / `key="quoted \"value\""` parameters.
 */
export interface Challenge {
  /** Lower-case scheme: `basic`, `bearer`, … */
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(header: string | null | undefined): Challenge[] {
  const out: Challenge[] = [];
  if (!header) return out;
  const s = header;
  let i = 0;
  const skipSpace = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < s.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z/]/.test(s[i] ?? '')) i++;
    return s.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < s.length) {
    skipSpace();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const save = i;
    const token = readToken();
    if (!token) {
      i++;
      continue;
    }
    skipSpace();
    if (s[i] === '=' && current) {
      // A parameter of the current challenge (or a token68 ending in '=').
      i++;
      skipSpace();
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        i++;
      } else {
        const start = i;
        while (i < s.length && s[i] !== ',' && s[i] !== ' ') i++;
        value = s.slice(start, i);
        if (value === '' || value.startsWith('=')) {
          // token68 padding such as "abc=="; keep it as the token68.
          current.params.token68 = s.slice(save, i).trim();
          continue;
        }
      }
      current.params[token.toLowerCase()] = value;
      continue;
    }
    // A new challenge: scheme, then maybe a token68 or parameters.
    current = { scheme: token.toLowerCase(), params: {} };
    out.push(current);
    skipSpace();
    const lookahead = i;
    const next = readToken();
    skipSpace();
    if (next && s[i] !== '=' && (s[i] === ',' || i >= s.length)) {
      current.params.token68 = next;
    } else {
      i = lookahead;
    }
  }
  return out;
}

/** The challenge a client answers: Bearer first, then Basic. */
export function preferredChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic') ?? challenges[0];
}

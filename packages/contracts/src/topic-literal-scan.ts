/**
 * Finds topic names spelled in string literals outside the catalog. The catalog (topics.ts) is the
 * only place a topic name may be written; everywhere else code says `topic('orderPlaced').name`, so a
 * rename is one edit and a typo is a compile error instead of a consumer silently reading nothing.
 *
 * The scan is lexical: it strips comments and collects the text of '...', "..." and `...` literals
 * (template text outside `${...}`), then looks for catalog names in them. A file may opt out with a
 * full-line comment `// contracts:allow-topic-literals <reason>` (test fixtures that must spell a name).
 */
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

/** The opt-out comment; must be a whole line and give a reason. */
export const ALLOW_TOPIC_LITERALS_MARKER = 'contracts:allow-topic-literals';

const ALLOW_LINE = new RegExp(`^\\s*//\\s*${ALLOW_TOPIC_LITERALS_MARKER}\\s+\\S`, 'm');

/** Folders scanned, relative to the repository root. */
export const SCANNED_ROOTS = ['packages', 'services', 'tools', 'infra', 'scripts'] as const;

/** Source file extensions scanned. */
export const SCANNED_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'] as const;

/** Paths (relative, `/`-separated) that may spell topic names: the catalog itself. */
export const CATALOG_PATH_PREFIX = 'packages/contracts/src/topics';

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git', '.cache', '.run', 'reports', 'dist', 'build', 'coverage']);

/** One string literal's text with the line it starts on. */
export interface StringLiteral {
  readonly text: string;
  readonly line: number;
}

/** A topic name found in a literal. */
export interface TopicLiteralFinding {
  /** File path relative to the repository root. */
  readonly file: string;
  readonly line: number;
  readonly topic: string;
}

const REGEX_PRECEDERS = new Set([
  '(',
  ',',
  '=',
  ':',
  '[',
  '!',
  '&',
  '|',
  '?',
  '{',
  '}',
  ';',
  '+',
  '-',
  '*',
  '%',
  '<',
  '>',
  '~',
  '^',
]);

/**
 * The string literals of JavaScript/TypeScript source, comments excluded. A lexer, not a parser:
 * good enough for finding names, and it errs towards reporting (a regex literal is skipped only when
 * it follows a token that cannot end an expression).
 */
export function extractStringLiterals(source: string): StringLiteral[] {
  const literals: StringLiteral[] = [];
  let index = 0;
  let line = 1;
  let lastSignificant = '';
  const templateDepth: number[] = []; // brace depth inside each open `${`
  const advance = (count = 1) => {
    for (let step = 0; step < count; step += 1) {
      if (source[index] === '\n') line += 1;
      index += 1;
    }
  };
  const readQuoted = (quote: string): void => {
    const startLine = line;
    let text = '';
    advance();
    while (index < source.length && source[index] !== quote) {
      if (source[index] === '\\') {
        text += source.slice(index, index + 2);
        advance(2);
        continue;
      }
      if (source[index] === '\n') break; // unterminated: stop at the line end
      text += source[index];
      advance();
    }
    advance();
    literals.push({ text, line: startLine });
  };
  const readTemplateChunk = (): void => {
    // index is just after ` or after the } closing a substitution
    const startLine = line;
    let text = '';
    while (index < source.length) {
      const char = source[index];
      if (char === '\\') {
        text += source.slice(index, index + 2);
        advance(2);
        continue;
      }
      if (char === '`') {
        advance();
        literals.push({ text, line: startLine });
        return;
      }
      if (char === '$' && source[index + 1] === '{') {
        advance(2);
        literals.push({ text, line: startLine });
        templateDepth.push(0);
        return;
      }
      text += char;
      advance();
    }
    literals.push({ text, line: startLine });
  };

  while (index < source.length) {
    const char = source[index] as string;
    const next = source[index + 1];
    if (char === '/' && next === '/') {
      while (index < source.length && source[index] !== '\n') advance();
      continue;
    }
    if (char === '/' && next === '*') {
      advance(2);
      while (index < source.length && !(source[index] === '*' && source[index + 1] === '/')) advance();
      advance(2);
      continue;
    }
    if (char === '"' || char === "'") {
      readQuoted(char);
      lastSignificant = 'a';
      continue;
    }
    if (char === '`') {
      advance();
      readTemplateChunk();
      lastSignificant = 'a';
      continue;
    }
    if (templateDepth.length > 0) {
      if (char === '{') templateDepth[templateDepth.length - 1] = (templateDepth.at(-1) ?? 0) + 1;
      if (char === '}') {
        if ((templateDepth.at(-1) ?? 0) === 0) {
          templateDepth.pop();
          advance();
          readTemplateChunk();
          lastSignificant = 'a';
          continue;
        }
        templateDepth[templateDepth.length - 1] = (templateDepth.at(-1) ?? 1) - 1;
      }
    }
    if (char === '/' && (lastSignificant === '' || REGEX_PRECEDERS.has(lastSignificant))) {
      // a regex literal: skip to its closing slash (outside a character class)
      advance();
      let inClass = false;
      while (index < source.length && source[index] !== '\n') {
        const current = source[index];
        if (current === '\\') {
          advance(2);
          continue;
        }
        if (current === '[') inClass = true;
        else if (current === ']') inClass = false;
        else if (current === '/' && !inClass) break;
        advance();
      }
      advance();
      lastSignificant = 'a';
      continue;
    }
    if (!/\s/.test(char)) lastSignificant = char;
    advance();
  }
  return literals;
}

/**
 * Catalog names that occur in `text` as a whole name: not inside a longer kebab-case word, and not as
 * the prefix of a longer catalog name at the same position (a retry tier's name extends its group id).
 */
export function topicNamesIn(text: string, names: readonly string[]): string[] {
  const isWordChar = (char: string | undefined) => char !== undefined && /[a-z0-9-]/.test(char);
  return names.filter((name) => {
    const longer = names.filter((other) => other.length > name.length && other.startsWith(name));
    for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
      if (isWordChar(text[at - 1]) || isWordChar(text[at + name.length])) continue;
      if (longer.some((other) => text.startsWith(other, at) && !isWordChar(text[at + other.length]))) continue;
      return true;
    }
    return false;
  });
}

/** True when the file opted out with the marker line. */
export function allowsTopicLiterals(source: string): boolean {
  return ALLOW_LINE.test(source);
}

/** Topic names spelled in `source`'s string literals. */
export function findTopicLiterals(file: string, source: string, names: readonly string[]): TopicLiteralFinding[] {
  if (allowsTopicLiterals(source)) return [];
  return extractStringLiterals(source).flatMap((literal) =>
    topicNamesIn(literal.text, names).map((topic) => ({ file, line: literal.line, topic })),
  );
}

function listSourceFiles(directory: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory())
      return SKIPPED_DIRECTORIES.has(entry.name) || entry.name.startsWith('.') ? [] : listSourceFiles(path);
    return SCANNED_EXTENSIONS.some((extension) => entry.name.endsWith(extension)) && !entry.name.endsWith('.d.ts')
      ? [path]
      : [];
  });
}

/** Scans the repository's source folders for catalog topic names outside the catalog. */
export function scanRepositoryForTopicLiterals(repoRoot: string, names: readonly string[]): TopicLiteralFinding[] {
  return SCANNED_ROOTS.flatMap((root) => listSourceFiles(join(repoRoot, root)))
    .map((path) => relative(repoRoot, path).split(sep).join('/'))
    .filter((file) => !file.startsWith(CATALOG_PATH_PREFIX))
    .flatMap((file) => findTopicLiterals(file, readFileSync(join(repoRoot, file), 'utf8'), names));
}

/** Small Markdown builders for the generated docs; output is deterministic (no dates, no environment). */

/** Escapes text for a Markdown table cell: pipes and line breaks would split the cell. */
export function cell(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** Inline code, safe for a table cell. */
export function code(text: string): string {
  return `\`${text.replaceAll('|', '\\|')}\``;
}

/** A Markdown table. Cells are escaped unless they are already built with {@link code}. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Human-readable duration for retention and delays: `7 d`, `30 d`, `1 s`, `10 min`. */
export function duration(ms: number): string {
  const units: [number, string][] = [
    [24 * 60 * 60 * 1000, 'd'],
    [60 * 60 * 1000, 'h'],
    [60 * 1000, 'min'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  }
  return `${ms} ms`;
}

/** The banner every generated file starts with. */
export function generatedBanner(source: string): string {
  return (
    `<!-- Generated from ${source} by \`node packages/contracts/src/generate-docs.ts\`. Do not edit: ` +
    'a test fails when this file differs from the code. -->'
  );
}

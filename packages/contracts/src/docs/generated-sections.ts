/**
 * Generated sections inside a hand-written Markdown file: the text between
 * `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->` is replaced by the generator,
 * everything else is left as written. Lets design prose quote tables and examples that must match the
 * code without copying them by hand.
 */

const BEGIN = (name: string) => `<!-- BEGIN GENERATED: ${name} -->`;
const END = (name: string) => `<!-- END GENERATED: ${name} -->`;

/** The names of the generated sections in `markdown`, in order. */
export function generatedSectionNames(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- BEGIN GENERATED: ([^ ]+) -->/g)].map((match) => match[1] as string);
}

/**
 * `markdown` with every generated section's body replaced by `render(name)`. Throws when a section
 * has no end marker or `render` does not know it, so a typo cannot silently freeze a section.
 */
export function fillGeneratedSections(markdown: string, render: (name: string) => string | undefined): string {
  let result = markdown;
  for (const name of generatedSectionNames(markdown)) {
    const begin = result.indexOf(BEGIN(name));
    const end = result.indexOf(END(name), begin);
    if (end < 0) throw new Error(`generated section ${name} has no "${END(name)}" marker`);
    const body = render(name);
    if (body === undefined) throw new Error(`no generator for section ${name}`);
    result = `${result.slice(0, begin + BEGIN(name).length)}\n\n${body.trim()}\n\n${result.slice(end)}`;
  }
  return result;
}

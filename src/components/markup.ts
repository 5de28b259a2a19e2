/**
 * HTML written as text: by the build (pages written into the HTML, read without JavaScript) and in the browser (the
 * same markup for another period), one renderer for both.
 */

/**
 * `text` as HTML text or attribute value, on one line: `$` escaped too, or Framework would read `${…}` in it as
 * JavaScript, and line breaks, or a blank line would end the HTML block it is in and the rest be read as Markdown.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'$\r\n]/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** JSON as a JavaScript literal inside an inline script: no `</script>` nor `<!--` can end or change it. */
export function scriptLiteral(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/** The element `markup` (one element, escaped by its renderer) makes, in the browser. */
export function fromHtml(markup: string): HTMLElement {
  const template = document.createElement("template");
  template.innerHTML = markup.trim();
  return template.content.firstElementChild as HTMLElement;
}

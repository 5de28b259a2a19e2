/**
 * Text from the archive (namespaces, job ids, owners, what a broken file held) written so that a terminal shows it
 * and does nothing else: no escape sequence clears the screen or sets the window's title, no line break starts a
 * line that passes for another, no bidirectional control reorders what is shown. Browser-safe: the site's CSV
 * files go through it too.
 */

/** C0 and C1 controls and DEL; then the bidirectional embeddings, overrides and isolates. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** What JSON.stringify writes raw: DEL, C1 and the bidirectional controls (it escapes U+0000–U+001F itself). */
const RAW_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

const hex = (char: string, digits: number) => char.charCodeAt(0).toString(16).padStart(digits, "0");

/** Each control character as `\xNN` (C0, DEL, C1) or `\uNNNN` (bidirectional controls); the rest as it is. */
export function inertText(text: string): string {
  return text.replace(CONTROLS, (char) => (char <= "\u009f" ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`));
}

/** JSON.stringify, with every control character escaped as `\uNNNN`: the same value when parsed, inert when shown. */
export function inertJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(RAW_IN_JSON, (char) => `\\u${hex(char, 4)}`);
}

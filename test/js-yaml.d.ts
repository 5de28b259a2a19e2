/** js-yaml 3's safe loader (no custom tags; `on` stays a key, not a boolean). js-yaml ships no types of its own. */
declare module "js-yaml" {
  export function safeLoad(text: string): unknown;
}

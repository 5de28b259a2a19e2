declare module "observablehq:stdlib" {
  interface AbstractFile {
    name: string;
    href: string;
    arrayBuffer(): Promise<ArrayBuffer>;
    text(): Promise<string>;
    json(): Promise<unknown>;
  }
  export function FileAttachment(path: string): AbstractFile;
}

declare module "htl" {
  /** Hypertext literal: interpolated values are inserted as text or nodes, never parsed as HTML. */
  export function html(strings: TemplateStringsArray, ...values: unknown[]): HTMLElement;
}

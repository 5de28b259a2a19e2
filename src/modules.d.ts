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

declare module "@observablehq/inputs" {
  /** A lazily rendered, sortable table; every value not a Node is inserted as text. */
  export function table(
    data: readonly object[],
    options?: {
      columns?: string[];
      header?: Record<string, string>;
      format?: Record<string, (value: never) => string | Node>;
      align?: Record<string, "left" | "right" | "center">;
      select?: boolean;
      rows?: number;
      layout?: "fixed" | "auto";
    },
  ): HTMLElement;
  /** A search box whose value is the rows of `data` matching every word typed, in their order. */
  export function search<T>(
    data: readonly T[],
    options?: { placeholder?: string; columns?: string[]; format?: (count: number) => string; label?: string },
  ): HTMLFormElement & { value: T[] };
}

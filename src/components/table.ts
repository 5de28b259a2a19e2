import { search, table } from "@observablehq/inputs";
import { html } from "htl";
import { rowsCsv } from "../loaders/model/csv.js";

/** One column of a data table: the row's field, its header, how its cells read, and whether it holds numbers. */
export interface Column<Row> {
  name: keyof Row & string;
  label: string;
  format?: (value: never) => string | Node;
  number?: boolean;
}

export interface DataTableOptions<Row> {
  columns: Column<Row>[];
  /** The CSV download's file name, without `.csv`. */
  file: string;
  /** What a row is, for the search box and the count: "job", "user"… */
  noun: string;
  /** Rows visible before the table scrolls. */
  rows?: number;
}

/** Cuts a long text to its cell's width; the whole text shows on hover. */
export function wholeOnHover(text: string): HTMLElement {
  return html`<span title=${text}>${text}</span>`;
}

const count = new Intl.NumberFormat("en-US");

function plural(n: number, noun: string): string {
  return `${count.format(n)} ${n === 1 ? noun : `${noun}s`}`;
}

/**
 * Every row of a static table, for print: the screen's table draws its rows as it scrolls, so a printed page would
 * hold only the first of them. Built when the page is about to print, dropped after.
 */
function printTable<Row>(rows: readonly Row[], columns: Column<Row>[]): HTMLElement {
  const cell = (column: Column<Row>, row: Row) => {
    const value = row[column.name];
    if (value === null || value === undefined) return "";
    return column.format ? column.format(value as never) : String(value);
  };
  return html`<table class="print-table">
    <thead>
      <tr>
        ${columns.map((column) => html`<th class=${column.number ? "number" : ""}>${column.label}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            ${columns.map((column) => html`<td class=${column.number ? "number" : ""}>${cell(column, row)}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A table on the page that prints every row: it builds its print version on demand. */
interface Printable {
  isConnected(): boolean;
  print(): void;
  unprint(): void;
}

const printable = new Set<Printable>();
let printWatched = false;

function watchPrint(): void {
  if (printWatched) return;
  printWatched = true;
  const print = () => printable.forEach((table) => (table.isConnected() ? table.print() : printable.delete(table)));
  const unprint = () => printable.forEach((table) => table.unprint());
  addEventListener("beforeprint", print);
  addEventListener("afterprint", unprint);
  // Print preview by media emulation fires no beforeprint.
  matchMedia("print").addEventListener("change", (event) => (event.matches ? print() : unprint()));
}

/**
 * A long table: a search box, the count of rows found, a CSV download of them, and a sortable table that draws
 * its rows as it scrolls (Inputs.table). Every text is set as text, whatever it holds. Printed, it lists every row
 * found.
 */
export function dataTable<Row extends object>(data: readonly Row[], options: DataTableOptions<Row>): HTMLElement {
  const { columns, file, noun } = options;
  const names = columns.map((column) => column.name);
  const finder = search(data, {
    placeholder: `Search ${plural(data.length, noun)}`,
    columns: names,
    format: (n: number) => (n === data.length ? plural(n, noun) : `${count.format(n)} of ${plural(data.length, noun)}`),
  });
  const holder = html`<div class="table-scroll"></div>`;
  const download = html`<a class="csv-download" download=${`${file}.csv`}>Download CSV</a>` as HTMLAnchorElement;
  const root = html`<div class="data-table" data-rows=${String(data.length)}>
    <div class="data-table-controls">${finder}${download}</div>
    ${holder}
  </div>`;
  let found: readonly Row[] = data;
  const show = () => {
    found = finder.value as Row[];
    holder.replaceChildren(
      table(found as Row[], {
        columns: names,
        header: Object.fromEntries(columns.map((column) => [column.name, column.label])),
        format: Object.fromEntries(columns.filter((column) => column.format).map((column) => [column.name, column.format as (value: never) => string | Node])),
        align: Object.fromEntries(columns.map((column) => [column.name, column.number ? "right" : "left"])),
        select: false,
        rows: options.rows ?? 15,
        layout: "auto",
      }),
    );
    if (download.href) URL.revokeObjectURL(download.href);
    download.href = URL.createObjectURL(new Blob([rowsCsv(found, names)], { type: "text/csv" }));
  };
  finder.addEventListener("input", show);
  show();
  watchPrint();
  const unprint = () => root.querySelector(":scope > .print-table")?.remove();
  printable.add({
    isConnected: () => root.isConnected,
    print() {
      unprint(); // printing may announce itself twice: beforeprint and the print media query
      root.append(printTable(found, columns));
    },
    unprint,
  });
  return root;
}

import { table } from "@observablehq/inputs";
import { html } from "htl";
import { reportCsv } from "../loaders/csv.js";
import { HOUR_METRICS, METRICS, MODE_DESCRIPTIONS, MODES, type JobUsage, type Mode, type OwnerUsage, type Report, type Usage } from "../loaders/report.js";
import { parseDay } from "../loaders/time.js";
import { formatMetric, METRIC_LABELS } from "./format.js";
import { PRESET_LABELS, PRESETS, presetOf, presetPeriod, type AccountingState, type Preset } from "./period.js";

/** One namespace's table (the aggregate has an empty namespace): every number cell says what it holds. */
function usageTable(title: string, namespace: string, usage: Usage): HTMLElement {
  return html`<div class="card accounting-table">
    <h2>${title}</h2>
    <table>
      <tbody>
        ${METRICS.map(
          (metric) => html`<tr>
            <th scope="row">${METRIC_LABELS[metric]}</th>
            <td class="number" data-namespace=${namespace} data-metric=${metric} data-value=${String(usage[metric])}>${formatMetric(metric, usage[metric])}</td>
          </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

export function accountingTables(report: Report): HTMLElement {
  return html`<div class="grid grid-cols-4">
    ${Object.entries(report.namespaces).map(([namespace, usage]) => usageTable(namespace, namespace, usage))}
    ${usageTable("All namespaces", "", report.total)}
  </div>`;
}

/**
 * A row per owner who counts in the period, most CPU-hours first: their pseudonym, and in a private build the
 * name and email of the user database. Every text is set as text, whatever it holds.
 */
export function ownerTable(owners: OwnerUsage[]): HTMLElement {
  const named = owners.some((owner) => owner.name !== null || owner.email !== null);
  return html`<div class="scroll-table"><table class="owner-usage">
    <thead><tr>
      <th>User</th>${named ? html`<th>Name</th><th>Email</th>` : ""}<th>Namespaces</th>
      ${HOUR_METRICS.map((metric) => html`<th class="number">${METRIC_LABELS[metric]}</th>`)}<th class="number">${METRIC_LABELS.jobs}</th>
    </tr></thead>
    <tbody>
      ${owners.map(
        (owner) => html`<tr>
          <td class="pseudonym">${owner.pseudonym}</td>${named ? html`<td class="name">${owner.name ?? ""}</td><td class="email">${owner.email ?? ""}</td>` : ""}
          <td>${owner.namespaces}</td>
          ${HOUR_METRICS.map((metric) => html`<td class="number">${formatMetric(metric, owner[metric])}</td>`)}<td class="number">${formatMetric("jobs", owner.jobs)}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

/**
 * A row per job that counts in the period, most CPU-hours first, drawn as it scrolls: its namespace, kind and user;
 * in a private build its title and the user's name too. Every text is set as text, whatever it holds. `counted`
 * jobs count in the period: the table may hold only the first of them.
 */
export function jobTable(jobs: JobUsage[], counted: number): HTMLElement {
  const named = jobs.some((job) => job.title !== null || job.name !== null);
  const hours = Object.fromEntries(HOUR_METRICS.map((metric) => [metric, (value: number) => formatMetric(metric, value)]));
  // Cut to one line; the whole text shows on hover.
  const whole = (text: string) => html`<span title=${text}>${text}</span>`;
  const count = (n: number) => n.toLocaleString("en-US");
  const caption =
    jobs.length < counted
      ? `The ${count(jobs.length)} jobs that used most CPU-hours, of the ${count(counted)} that count in the period`
      : "A row per job that counts in the period, most CPU-hours first";
  return html`<div class="job-usage"><p>${caption} (titles only in a private build).</p>${table(jobs, {
    columns: [...(named ? ["title", "name"] : []), "pseudonym", "namespace", "kind", ...HOUR_METRICS],
    header: { title: "Title", name: "Name", pseudonym: "User", namespace: "Namespace", kind: "Kind", ...METRIC_LABELS },
    format: { ...hours, title: whole, name: whole },
    select: false,
    rows: 15,
    layout: "auto",
  })}</div>`;
}

/**
 * Resolves `pause` ms after `report` came in, never if the cell is invalidated first (another period was chosen):
 * the queries of the users and jobs tables then never hold up the next period's report in DuckDB's one worker.
 */
export function settled(report: Report, invalidation: Promise<void>, pause = 250): Promise<Report> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(report), pause);
    void invalidation.then(() => clearTimeout(timer));
  });
}

/** A link that saves the report as CSV, made in the browser. */
export function csvDownload(report: Report): HTMLElement {
  const url = URL.createObjectURL(new Blob([reportCsv(report)], { type: "text/csv" }));
  return html`<a class="csv-download" href=${url} download=${`accounting_${report.from}_${report.to}_${report.mode}.csv`}>Download CSV</a>`;
}


/**
 * Period presets, custom days and the mode, as one input whose value is an AccountingState.
 * "This" month, quarter or year is that of `today`, the archive's last snapshot day.
 */
export function periodInput(initial: AccountingState, today: string): HTMLFormElement & { value: AccountingState } {
  const presets = ["whole", ...PRESETS, "custom"] as const;
  const form = html`<form class="period-input">
    <label>Period <select name="preset">${presets.map((p) => html`<option value=${p}>${PRESET_LABELS[p]}</option>`)}</select></label>
    <label>From <input type="date" name="from"></label>
    <label>To <input type="date" name="to"></label>
    <fieldset><legend>Mode</legend>${MODES.map((mode) => html`<label><input type="radio" name="mode" value=${mode}> ${mode}</label>`)}</fieldset>
    <p class="mode-help"></p>
  </form>` as unknown as HTMLFormElement & { value: AccountingState };
  const field = <T extends Element>(name: string) => form.elements.namedItem(name) as unknown as T;
  const preset = field<HTMLSelectElement>("preset");
  const from = field<HTMLInputElement>("from");
  const to = field<HTMLInputElement>("to");
  const help = form.querySelector(".mode-help") as HTMLElement;

  const show = (state: AccountingState) => {
    form.value = state;
    preset.value = presetOf(state, today);
    from.value = state.from ?? "";
    to.value = state.to ?? "";
    for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="mode"]')) radio.checked = radio.value === state.mode;
    help.textContent = `${state.mode === "exact" ? "Exact" : "Compat"}: ${MODE_DESCRIPTIONS[state.mode]}`;
  };
  const mode = () => (form.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value ?? "exact") as Mode;
  const day = (input: HTMLInputElement) => (parseDay(input.value) === undefined ? undefined : input.value);

  form.addEventListener("input", (event) => {
    if (event.target === form) return;
    // Not only propagation: Framework's view() listens on this form too, and would recompute the page for the
    // field's own event as well as for the form's below (a second report query, which the page waited for).
    event.stopImmediatePropagation();
    let state: AccountingState;
    if (event.target === preset) {
      const choice = preset.value as Preset | "whole" | "custom";
      if (choice === "custom") return;
      state = { ...(choice === "whole" ? {} : presetPeriod(choice, today)), mode: mode() };
    } else {
      state = { from: day(from), to: day(to), mode: mode() };
      if (state.from !== undefined && state.to !== undefined && state.from > state.to) return;
    }
    show(state);
    form.dispatchEvent(new Event("input", { bubbles: true }));
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  show(initial);
  return form;
}

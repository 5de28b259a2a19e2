import { html } from "htl";
import { MODE_DESCRIPTIONS, MODES, type Mode } from "../loaders/queries/report.js";
import { parseDay } from "../loaders/model/time.js";

/** What the accounting page shows: the days FROM..TO (the whole archive where absent) under a mode. */
export interface AccountingState {
  from?: string;
  to?: string;
  mode: Mode;
}

/** A state as the URL or the form gave it, with what makes it unusable, if anything: then the page shows no number. */
export interface PeriodChoice extends AccountingState {
  problem?: string;
}

export const PRESETS = ["this-month", "last-month", "this-quarter", "last-quarter", "this-year", "last-year"] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset | "whole" | "custom", string> = {
  whole: "Whole archive",
  "this-month": "This month",
  "last-month": "Last month",
  "this-quarter": "This quarter",
  "last-quarter": "Last quarter",
  "this-year": "This year",
  "last-year": "Last year",
  custom: "Custom dates",
};

function day(year: number, month: number, date: number): string {
  return new Date(Date.UTC(year, month, date)).toISOString().slice(0, 10);
}

/** The days of a preset, "this" meaning the month, quarter or year of `today` (YYYY-MM-DD, UTC). */
export function presetPeriod(preset: Preset, today: string): { from: string; to: string } {
  const [year, month] = today.split("-").map(Number) as [number, number];
  const m = month - 1;
  const quarter = m - (m % 3);
  switch (preset) {
    case "this-month":
      return { from: day(year, m, 1), to: day(year, m + 1, 0) };
    case "last-month":
      return { from: day(year, m - 1, 1), to: day(year, m, 0) };
    case "this-quarter":
      return { from: day(year, quarter, 1), to: day(year, quarter + 3, 0) };
    case "last-quarter":
      return { from: day(year, quarter - 3, 1), to: day(year, quarter, 0) };
    case "this-year":
      return { from: day(year, 0, 1), to: day(year, 11, 31) };
    case "last-year":
      return { from: day(year - 1, 0, 1), to: day(year - 1, 11, 31) };
  }
}

/** The preset a period is, if any. */
export function presetOf(state: AccountingState, today: string): Preset | "whole" | "custom" {
  if (state.from === undefined && state.to === undefined) return "whole";
  return (
    PRESETS.find((preset) => {
      const period = presetPeriod(preset, today);
      return period.from === state.from && period.to === state.to;
    }) ?? "custom"
  );
}

/** Whether two choices ask for the same numbers: the same days, mode and problem. */
export function sameChoice(a: PeriodChoice, b: PeriodChoice): boolean {
  return a.from === b.from && a.to === b.to && a.mode === b.mode && a.problem === b.problem;
}

/** A value quoted for a message, cut short: it comes from a URL anyone can write. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

/**
 * The state in a URL query `?from=YYYY-MM-DD&to=YYYY-MM-DD&mode=exact|compat`. A day or mode that is not one makes
 * the choice unusable, with a problem naming it; the order of the days is checked with the archive's bounds
 * (loaders/coverage.ts).
 */
export function stateFromSearch(search: string): PeriodChoice {
  const params = new URLSearchParams(search);
  const problems: string[] = [];
  const validDay = (name: "from" | "to") => {
    const value = params.get(name);
    if (value === null || value === "") return undefined;
    if (parseDay(value) === undefined) problems.push(`${name} ${quoted(value)} is not a day (YYYY-MM-DD)`);
    return value;
  };
  const from = validDay("from");
  const to = validDay("to");
  const mode = params.get("mode") ?? "exact";
  if (!(MODES as readonly string[]).includes(mode)) problems.push(`mode ${quoted(mode)} is not ${MODES.join(" or ")}`);
  const choice: PeriodChoice = { from, to, mode: (MODES as readonly string[]).includes(mode) ? (mode as Mode) : "exact" };
  if (problems.length) choice.problem = problems.join("; ");
  return choice;
}

/** The URL's query for a period: its own parameters set (or left out), the page's others (`current`) kept as they are. */
export function searchFromState(state: AccountingState, current = ""): string {
  const params = new URLSearchParams(current);
  for (const name of ["from", "to", "mode"]) params.delete(name);
  if (state.from !== undefined) params.set("from", state.from);
  if (state.to !== undefined) params.set("to", state.to);
  params.set("mode", state.mode);
  return `?${params}`;
}

/** What the mode control says where only the exact mode is offered: compat is upstream's, for Nomad snapshots alone. */
const EXACT_ONLY_HELP = `Exact mode: ${MODE_DESCRIPTIONS.exact} Compat mode (${MODE_DESCRIPTIONS.compat.replace(/\.$/, "")}) exists only for archives of Nomad snapshots alone.`;

/**
 * Period presets, custom days and the mode, as one input whose value is a PeriodChoice, kept in the page's URL:
 * each deliberate change is a new history entry, so Back undoes it, and going Back or Forward sets the form from
 * the URL. "This" month, quarter or year is that of `today`, the archive's last day. A date typed but not complete
 * makes the choice unusable rather than silently meaning the archive's bound. `modes` are those offered: with the
 * exact mode alone (an archive with batch records) there is no choice, and a URL asking for compat gets the
 * report's refusal; with none, the page has no use for a mode (the exact period is meant) and says nothing of it.
 */
export function periodInput(today: string, invalidation?: Promise<unknown>, modes: readonly Mode[] = MODES): HTMLFormElement & { value: PeriodChoice } {
  const choosable = modes.length > 1;
  const presets = ["whole", ...PRESETS, "custom"] as const;
  const form = html`<form class="period-input">
    <label
      >Period
      <select name="preset">
        ${presets.map((p) => html`<option value=${p}>${PRESET_LABELS[p]}</option>`)}
      </select></label
    >
    <label>From <input type="date" name="from" /></label>
    <label>To <input type="date" name="to" /></label>
    ${
      choosable
        ? html`<fieldset>
            <legend>Mode</legend>
            ${modes.map((mode) => html`<label><input type="radio" name="mode" value=${mode} /> ${mode}</label>`)}
          </fieldset>`
        : ""
    }
    <p class="mode-help"></p>
  </form>` as unknown as HTMLFormElement & { value: PeriodChoice };
  const field = <T extends Element>(name: string) => form.elements.namedItem(name) as unknown as T;
  const preset = field<HTMLSelectElement>("preset");
  const from = field<HTMLInputElement>("from");
  const to = field<HTMLInputElement>("to");
  const help = form.querySelector(".mode-help") as HTMLElement;

  const show = (choice: PeriodChoice) => {
    form.value = choice;
    preset.value = presetOf(choice, today);
    from.value = choice.from !== undefined && parseDay(choice.from) !== undefined ? choice.from : "";
    to.value = choice.to !== undefined && parseDay(choice.to) !== undefined ? choice.to : "";
    for (const radio of form.querySelectorAll<HTMLInputElement>('input[name="mode"]')) radio.checked = radio.value === choice.mode;
    help.textContent = choosable ? `${choice.mode === "exact" ? "Exact" : "Compat"}: ${MODE_DESCRIPTIONS[choice.mode]}` : modes.length ? EXACT_ONLY_HELP : "";
  };
  const mode = () => (form.querySelector<HTMLInputElement>('input[name="mode"]:checked')?.value ?? modes[0] ?? "exact") as Mode;
  const typed = (input: HTMLInputElement, name: string, problems: string[]) => {
    if (input.validity.badInput) problems.push(`${name} is not a complete date`);
    return input.value === "" ? undefined : input.value;
  };
  const announce = () => form.dispatchEvent(new Event("input", { bubbles: true }));

  form.addEventListener("input", (event) => {
    if (event.target === form) return;
    // Not only propagation: Framework's view() listens on this form too, and would recompute the page for the
    // field's own event as well as for the form's below (a second report query, which the page waited for).
    event.stopImmediatePropagation();
    let choice: PeriodChoice;
    if (event.target === preset) {
      const chosen = preset.value as Preset | "whole" | "custom";
      if (chosen === "custom") return; // the days stay; the next one typed is the change
      choice = { ...(chosen === "whole" ? {} : presetPeriod(chosen, today)), mode: mode() };
    } else {
      const problems: string[] = [];
      choice = { from: typed(from, "From", problems), to: typed(to, "To", problems), mode: mode() };
      if (problems.length) choice.problem = problems.join("; ");
    }
    show(choice);
    if (!choice.problem) history.pushState(null, "", searchFromState(choice, location.search) + location.hash);
    announce();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  const fromUrl = () => {
    show(stateFromSearch(location.search));
    announce();
  };
  addEventListener("popstate", fromUrl);
  void invalidation?.then(() => removeEventListener("popstate", fromUrl));

  const initial = stateFromSearch(location.search);
  show(initial);
  if (!initial.problem) history.replaceState(null, "", searchFromState(initial, location.search) + location.hash);
  return form;
}

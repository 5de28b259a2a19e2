import { html } from "htl";

/** A form whose `value` follows its fields, for Framework's `view()`: it is updated before `input` reaches the page. */
type Input<T> = HTMLFormElement & { value: T };

function inputOf<T>(form: HTMLElement, read: () => T): Input<T> {
  const input = form as HTMLFormElement & { value: T };
  input.value = read();
  input.addEventListener("input", () => (input.value = read()));
  input.addEventListener("submit", (event) => event.preventDefault());
  return input;
}

/** Tick boxes; the value is the options ticked, in their order. */
export function checkboxInput(label: string, options: string[], value: string[] = options): Input<string[]> {
  const form = html`<form class="choice-input"><fieldset><legend>${label}</legend>
    ${options.map((option) => html`<label><input type="checkbox" value=${option} checked=${value.includes(option)}> ${option}</label>`)}
  </fieldset></form>`;
  return inputOf(form, () => [...form.querySelectorAll<HTMLInputElement>("input:checked")].map((box) => box.value));
}

export function radioInput<T extends string>(label: string, options: readonly T[], value: T): Input<T> {
  const form = html`<form class="choice-input"><fieldset><legend>${label}</legend>
    ${options.map((option) => html`<label><input type="radio" name="choice" value=${option} checked=${option === value}> ${option}</label>`)}
  </fieldset></form>`;
  return inputOf(form, () => (form.querySelector<HTMLInputElement>("input:checked")?.value ?? value) as T);
}

/** A number of hours, at least 0; the last valid one while the field is being typed. */
export function hoursInput(label: string, value: number): Input<number> {
  const form = html`<form class="choice-input"><label>${label} <input type="number" min="0" step="0.5" value=${String(value)}> h</label></form>`;
  const field = form.querySelector("input") as HTMLInputElement;
  let last = value;
  return inputOf(form, () => {
    if (Number.isFinite(field.valueAsNumber) && field.valueAsNumber >= 0) last = field.valueAsNumber;
    return last;
  });
}

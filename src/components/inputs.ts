import { html } from "htl";

/** A form whose `value` follows its fields, for Framework's `view()`: it is updated before `input` reaches the page. */
type Input<T> = HTMLFormElement & { value: T };

/** How an input's value is kept in the page's URL, as the query parameter `name`. */
interface UrlParameter<T> {
  name: string;
  /** The value a parameter's text gives; undefined when it gives none (the default stays). */
  parse(text: string): T | undefined;
  format(value: T): string;
}

/**
 * An input over `form`: `read` gives the value its fields hold, `write` sets them. With `url`, its value is kept in
 * the page's URL: read from it at first, each change a new history entry, and Back or Forward set it again.
 */
function inputOf<T>(form: HTMLElement, read: () => T, write: (value: T) => void, url: UrlParameter<T>): Input<T> {
  const input = form as HTMLFormElement & { value: T };
  const initial = read();
  const fromUrl = () => {
    const text = new URLSearchParams(location.search).get(url.name);
    write((text === null ? undefined : url.parse(text)) ?? initial);
    input.value = read();
  };
  fromUrl();
  let restoring = false;
  input.addEventListener("input", () => {
    input.value = read();
    if (restoring) return;
    const params = new URLSearchParams(location.search);
    params.set(url.name, url.format(input.value));
    history.pushState(null, "", `?${params}${location.hash}`);
  });
  addEventListener("popstate", () => {
    fromUrl();
    restoring = true;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    restoring = false;
  });
  input.addEventListener("submit", (event) => event.preventDefault());
  return input;
}

/** Tick boxes; the value is the options ticked, in their order; in the URL as `name=a,b`. */
export function checkboxInput(label: string, options: string[], name: string): Input<string[]> {
  const form = html`<form class="choice-input">
    <fieldset>
      <legend>${label}</legend>
      ${options.map((option) => html`<label><input type="checkbox" value=${option} checked /> ${option}</label>`)}
    </fieldset>
  </form>`;
  const boxes = () => [...form.querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
  return inputOf(
    form,
    () =>
      boxes()
        .filter((box) => box.checked)
        .map((box) => box.value),
    (value) => boxes().forEach((box) => (box.checked = value.includes(box.value))),
    { name, parse: (text) => (text === "" ? [] : text.split(",").filter((option) => options.includes(option))), format: (value) => value.join(",") },
  );
}

export function radioInput<T extends string>(label: string, options: readonly T[], value: T, name: string): Input<T> {
  const form = html`<form class="choice-input">
    <fieldset>
      <legend>${label}</legend>
      ${options.map((option) => html`<label><input type="radio" name="choice" value=${option} checked=${option === value} /> ${option}</label>`)}
    </fieldset>
  </form>`;
  const radios = () => [...form.querySelectorAll<HTMLInputElement>("input[type=radio]")];
  return inputOf(
    form,
    () => (radios().find((radio) => radio.checked)?.value ?? value) as T,
    (chosen) => radios().forEach((radio) => (radio.checked = radio.value === chosen)),
    { name, parse: (text) => options.find((option) => option === text), format: String },
  );
}

/** A number of hours, at least 0; the last valid one while the field is being typed. */
export function hoursInput(label: string, value: number, name: string): Input<number> {
  const form = html`<form class="choice-input">
    <label>${label} <input type="number" min="0" step="0.5" value=${String(value)} /> h</label>
  </form>`;
  const field = form.querySelector("input") as HTMLInputElement;
  let last = value;
  const valid = (hours: number) => Number.isFinite(hours) && hours >= 0;
  return inputOf(
    form,
    () => {
      if (valid(field.valueAsNumber)) last = field.valueAsNumber;
      return last;
    },
    (hours) => {
      field.valueAsNumber = hours;
      last = hours;
    },
    { name, parse: (text) => (text.trim() !== "" && valid(Number(text)) ? Number(text) : undefined), format: String },
  );
}

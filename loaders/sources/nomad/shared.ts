import { RESOURCES, type Resources } from "../../model/resources.js";

/** A table past this many values starts over: what it holds is only ever a shortcut. */
const LIMIT = 200_000;

/** Values by text, each made by `make` the first time its text comes (or again once the table has started over). */
function boundedTable<Value>(): (text: string, make: (text: string) => Value) => Value {
  const made = new Map<string, Value>();
  return (text, make) => {
    if (made.has(text)) return made.get(text) as Value;
    if (made.size >= LIMIT) made.clear();
    const value = make(text);
    made.set(text, value);
    return value;
  };
}

/** `make` of a text, made once per text (a bounded, pure cache: `make` must give the same value for the same text). */
export function memoized<Value>(make: (text: string) => Value): (text: string) => Value {
  const table = boundedTable<Value>();
  return (text) => table(text, make);
}

/**
 * One copy of the values a fold keeps many of. Each snapshot's `JSON.parse` makes its own strings and each job its own
 * resources, yet every job summary and every run holds an owner, a status, most an image, a datacenter and resources,
 * mostly the same few: kept once, the 2-year benchmark archive's fold holds 91 MB instead of 128 MB.
 */
const texts = memoized((text) => text);

export function sharedText<Text extends string | null>(text: Text): Text {
  return text === null ? text : (texts(text) as Text);
}

const resourceSets = boundedTable<Resources>();

/** Resources are never changed once read: one object serves every run holding the same amounts. */
export function sharedResources(resources: Resources): Resources {
  // -0 (which JSON can say) apart from 0, as the tables keep it.
  return resourceSets(RESOURCES.map((name) => (Object.is(resources[name], -0) ? "-0" : resources[name])).join(","), () => resources);
}

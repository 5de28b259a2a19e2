import * as Plot from "@observablehq/plot";

/** What a bank's burn-down chart needs of its balance (loaders/queries/balance.ts). */
interface BurnDown {
  unit: string;
  granted: number;
  burnDown: { day: string; remaining: number }[];
  runsOut: string | null;
}

const day = (text: string) => new Date(`${text}T00:00:00Z`);

/** The units remaining at the end of each day, and, dashed, their projection at the recent rate to the day they run out. */
export function burnDownChart(balance: BurnDown, width: number): SVGSVGElement | HTMLElement {
  const points = balance.burnDown.map((point) => ({ day: day(point.day), remaining: point.remaining }));
  const last = points.at(-1);
  const projection = last && balance.runsOut ? [last, { day: day(balance.runsOut), remaining: 0 }] : [];
  return Plot.plot({
    width,
    height: 200,
    x: { type: "utc", label: null },
    y: { label: `${balance.unit} remaining`, grid: true },
    marks: [
      Plot.ruleY([0]),
      Plot.areaY(points, { x: "day", y: "remaining", fillOpacity: 0.15 }),
      Plot.lineY(points, { x: "day", y: "remaining", tip: true }),
      Plot.lineY(projection, { x: "day", y: "remaining", strokeDasharray: "4 3" }),
    ],
  });
}

import { bankDepth, type BankBalance } from "../loaders/queries/balance.js";
import { escapeHtml, scriptLiteral } from "./markup.js";

/**
 * The allocations page (`/allocations`) as Markdown, written at build time with the period pages
 * (src/reports/pages.ts): each bank's balance on the archive's last day, computed by `accounting balance`'s query in
 * native DuckDB, its numbers in the HTML (they read without JavaScript); the burn-down charts are drawn in the
 * browser. Users are named by pseudonym, and by name in a private build only.
 */

/** What the page shows: the balances, and how to name each user of them. */
export interface AllocationsPage {
  /** The day of the balances, `YYYY-MM-DD`: the archive's last. */
  at: string;
  /** Null when the archive has no allocations file; the message of a bad one. */
  balances: BankBalance[] | null;
  problem: string | null;
  /** Each user's label: their pseudonym, and their name in a private build. */
  users: Record<string, string>;
}

const units = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const LEVEL_LABELS: Record<BankBalance["level"], string> = {
  ok: "",
  warning: "past the first threshold",
  critical: "past the last threshold",
  over: "over its grant",
};
/** The users a bank's table lists, most charged first. */
const TOP_USERS = 10;

const HEADER = `---
title: Allocations
toc: false
footer: "Computed when the site was built, by the query of npx accounting balance, from the archive of scheduler records; nothing is sent anywhere."
---

# Allocations
`;

/** A number cell: its unrounded value in `data-value`. */
const cell = (field: string, value: number | null, text: string) =>
  `<td class="number" data-field="${field}" data-value="${escapeHtml(String(value))}">${escapeHtml(text)}</td>`;

/** A row per bank, sub-banks indented under their parent, as `accounting balance` prints them. */
function balancesTable(balances: readonly BankBalance[]): string {
  const rows = balances.map((balance) => {
    const depth = bankDepth(balance, balances);
    return `<tr data-bank="${escapeHtml(balance.bank)}" class="level-${balance.level}"><th scope="row" style="padding-left: ${0.25 + depth * 1.25}em">${escapeHtml(balance.bank)}</th><td>${balance.unit}</td>${cell("granted", balance.granted, units.format(balance.granted))}${cell("charged", balance.charged, units.format(balance.charged))}${cell("remaining", balance.remaining, units.format(balance.remaining))}${cell("percent", balance.percent, balance.percent === null ? "—" : `${balance.percent.toFixed(1)} %`)}<td data-field="runs_out">${balance.runsOut ?? "—"}</td>${cell("fairshare", balance.fairshare.factor, balance.fairshare.factor === null ? "∞" : balance.fairshare.factor.toFixed(3))}<td class="level">${LEVEL_LABELS[balance.level]}</td></tr>`;
  });
  return `<table class="balances"><thead><tr><th scope="col">Bank</th><th scope="col">Unit</th><th scope="col" class="number">Granted</th><th scope="col" class="number">Charged</th><th scope="col" class="number">Remaining</th><th scope="col" class="number">Used</th><th scope="col">Runs out</th><th scope="col" class="number">Fair-share</th><th scope="col"></th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/** A bank's users, most charged first, and its burn-down chart (drawn in the browser). */
function bankSection(balance: BankBalance, index: number, users: Record<string, string>): string {
  const charged = Object.entries(balance.users);
  const rows = charged
    .slice(0, TOP_USERS)
    .map(([owner, value]) => `<tr><th scope="row">${escapeHtml(users[owner] ?? owner)}</th>${cell("charged", value, units.format(value))}</tr>`);
  const rest = charged.length > TOP_USERS ? `<p>And ${charged.length - TOP_USERS} more users.</p>` : "";
  return `<section class="bank" data-bank="${escapeHtml(balance.bank)}">
<h2>${escapeHtml(balance.bank)}</h2>
<p>${units.format(balance.granted)} ${balance.unit} granted, ${units.format(balance.charged)} charged from ${balance.from} to ${balance.to}, ${units.format(balance.remaining)} remaining${
    balance.ratePerDay > 0 ? `; ${units.format(balance.ratePerDay)} a day over the last 30 days` : ""
  }${balance.runsOut ? `, which runs out on ${balance.runsOut}` : ""}.</p>
<div class="burn-down" id="burn-down-${index}"></div>
${rows.length ? `<table class="bank-users"><thead><tr><th scope="col">User</th><th scope="col" class="number">Charged (${balance.unit})</th></tr></thead><tbody>${rows.join("")}</tbody></table>${rest}` : "<p>No usage.</p>"}
</section>`;
}

export function allocationsPageMarkdown(page: AllocationsPage): string {
  if (page.balances === null)
    return `${HEADER}
<p class="period-problem">${escapeHtml(page.problem ?? "The archive has no allocations file (allocations.json): see the README's Allocations.")}</p>
`;
  const charts = page.balances.map(({ bank, unit, granted, burnDown, runsOut, ratePerDay }) => ({ bank, unit, granted, burnDown, runsOut, ratePerDay }));
  return `${HEADER}
<p class="allocations-intro">What each bank was granted and what its members used, on ${page.at}, the archive's last day: the grants active that day, charged from their first day by the query of <code>npx accounting balance</code> (service units are billing × hours, resources weighed as Slurm's <code>TRESBillingWeights</code> weigh them). A bank is charged what its sub-banks used too. Fair-share is ${
    page.balances[0]?.fairshare.algorithm === "classic"
      ? "Slurm's classic factor, 2<sup>−U/S</sup>"
      : "Slurm's Fair Tree Level FS, S / U: a bank's shares over its siblings', over its usage over theirs (∞ without usage); above 1, it used less than its share"
  }, from usage decayed by the allocations' half-life.</p>

${balancesTable(page.balances)}

${page.balances.map((balance, index) => bankSection(balance, index, page.users)).join("\n\n")}

\`\`\`js
import {burnDownChart} from "./components/burn-down.js";
\`\`\`

\`\`\`js
const charts = ${scriptLiteral(charts)};
charts.forEach((balance, index) => document.getElementById(\`burn-down-\${index}\`)?.replaceChildren(burnDownChart(balance, width)));
\`\`\`
`;
}

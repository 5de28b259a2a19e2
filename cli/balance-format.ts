import Table from "cli-table3";
import { balancesCsv, balancesJson, bankDepth, type BankBalance } from "../loaders/queries/balance.js";
import { inertJson, inertText } from "../loaders/model/inert-text.js";
import type { Format } from "./options.js";

const units = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
const LEVELS: Record<BankBalance["level"], string> = { ok: "", warning: "past the first threshold", critical: "past the last threshold", over: "OVER: held" };

/** A line per bank (sub-banks indented under their parent), its grant, use, what remains and when it runs out. */
function formatTable(at: string, balances: readonly BankBalance[]): string {
  const head = ["bank", "unit", "granted", "charged", "remaining", "used", "runs out", "fair-share", ""];
  const table = new Table({
    head,
    style: { head: [], border: [] },
    colAligns: head.map((_, i) => (i < 2 || i === 6 || i === 8 ? "left" : "right")),
    chars: { mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  for (const balance of balances) {
    table.push([
      `${"  ".repeat(bankDepth(balance, balances))}${inertText(balance.bank)}`,
      balance.unit,
      units.format(balance.granted),
      units.format(balance.charged),
      units.format(balance.remaining),
      balance.percent === null ? "—" : `${balance.percent.toFixed(1)} %`,
      balance.runsOut ?? "—",
      balance.fairshare.factor === null ? "∞" : balance.fairshare.factor.toFixed(6),
      LEVELS[balance.level],
    ]);
  }
  const algorithm = balances[0]?.fairshare.algorithm === "classic" ? "classic fair-share factor" : "Fair Tree's Level FS";
  return `Balances on ${at} (each grant active that day, charged from its first day); fair-share: ${algorithm}\n${table.toString()}\n`;
}

export function formatBalances(at: string, balances: readonly BankBalance[], format: Format): string {
  if (format === "csv") return balancesCsv(balances);
  if (format === "json") return `${inertJson(balancesJson(at, balances), 2)}\n`;
  return formatTable(at, balances);
}

/**
 * report.json is a merge of sections: each measurement module returns its own section (its figures, its
 * targets and its lines for report.md), and run.ts only puts them together. A new measurement adds a module
 * and one line in run.ts.
 */

export interface Target {
  name: string;
  /** The measured figure (a ratio, ms, MB…); null when it was not measured in this run. */
  value: number | null;
  /** The goal, as text: `<= 2.0`. */
  goal: string;
  met: boolean | null;
  /** What the figure is, or why a target was not measured. */
  note?: string;
}

export interface Section {
  /** The key in report.json. */
  name: string;
  data: Record<string, unknown>;
  targets: Target[];
  /** Lines for report.md (Markdown), without the targets table, which run.ts writes once for all. */
  markdown: string[];
}

export const round = (value: number, places = 1) => {
  const scale = 10 ** places;
  return Math.round(value * scale) / scale;
};

export function target(
  name: string,
  value: number | null,
  op: "<=" | ">=",
  limit: number,
  note?: string,
): Target {
  const met = value === null ? null : op === "<=" ? value <= limit : value >= limit;
  return { name, value, goal: `${op} ${limit}`, met, ...(note ? { note } : {}) };
}

export function targetsTable(targets: Target[]): string[] {
  return [
    "| target | value | goal | met |",
    "|---|---:|---|:-:|",
    ...targets.map(
      (t) =>
        `| ${t.name} | ${t.value ?? "–"} | ${t.goal} | ${t.met === null ? "–" : t.met ? "yes" : "**no**"} |`,
    ),
  ];
}

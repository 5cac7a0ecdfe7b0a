import { WITHIN_CAPS_CASES } from "./dist/bench/bench/within-caps.js";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
for (const c of WITHIN_CAPS_CASES.filter(c => c.reference)) {
  const text = c.text(); writeFileSync("/tmp/yw/case.yaml", text);
  const t = performance.now(); let out = "";
  try { execFileSync(process.execPath, ["dist/cmd/orgctl.js", "validate", "-f", "/tmp/yw/case.yaml"], {stdio: "pipe"}); } catch (e) { out = String(e.stderr).slice(0, 300); }
  console.log(c.name, Math.round(performance.now() - t), out);
}

// A worker thread that parses a large org.yaml while the main thread reads the live console.
import { parentPort, workerData } from "node:worker_threads";
import { parseYamlText } from "./load.js";
import { ConfigInvalidError } from "./model.js";

const { text, file } = workerData as { text: string; file: string };
try {
  parentPort!.postMessage({ ok: true, value: parseYamlText(text, file).value });
} catch (error) {
  if (error instanceof ConfigInvalidError) parentPort!.postMessage({ ok: false, issues: error.issues });
  else parentPort!.postMessage({ ok: false, error: (error as Error).message });
}

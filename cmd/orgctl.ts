#!/usr/bin/env node
// Everything is loaded on demand: `orgctl --version` answers before commander and the commands load, which
// cost more than Node's own start-up.
// A reader that went away (`orgctl plan --help | head -1`) is not an error of ours: the rest of the output is
// dropped, and the command still ends with its own exit code (apply is not cut short by a closed pager).
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-v")) {
  const { packageVersion } = await import("../src/package-root.js");
  process.stdout.write(`${packageVersion()}\n`);
} else {
  const [{ main }, { finish }] = await Promise.all([
    import("../src/cli/main.js"),
    import("../src/cli/exit.js"),
  ]);
  await finish(await main(process.argv));
}

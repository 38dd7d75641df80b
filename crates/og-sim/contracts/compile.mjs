// Compiles TEERegistry.sol with solc-js (npm solc@0.8.37, the compiler built to
// WebAssembly: works offline) and writes TEERegistry.artifact.json (ABI + bytecode).
//
//   npm install --prefix <dir> solc@0.8.37
//   NODE_PATH=<dir>/node_modules node compile.mjs [--check]
//
// With --check, compiles and fails if the committed artifact differs (CI).
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(process.env.NODE_PATH ?? ".", "_"));
const solc = require("solc");
const here = dirname(fileURLToPath(import.meta.url));
const source = readFileSync(join(here, "TEERegistry.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "TEERegistry.sol": { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "cancun",
    viaIR: true,
    outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.methodIdentifiers"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors ?? []).filter((e) => e.severity === "error");
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const c = output.contracts["TEERegistry.sol"].TEERegistry;
const artifact = {
  compiler: `solc ${solc.version()}`,
  source: "TEERegistry.sol",
  abi: c.abi,
  selectors: c.evm.methodIdentifiers,
  bytecode: "0x" + c.evm.bytecode.object,
};
const text = JSON.stringify(artifact, null, 1) + "\n";
const path = join(here, "TEERegistry.artifact.json");
if (process.argv.includes("--check")) {
  if (readFileSync(path, "utf8") !== text) {
    console.error(`${path} is stale: run node compile.mjs and commit the result`);
    process.exit(1);
  }
  console.log("TEERegistry.artifact.json matches TEERegistry.sol");
} else {
  writeFileSync(path, text);
  console.log(`wrote ${path}`);
}

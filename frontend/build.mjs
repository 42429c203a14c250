// Bundles src/ into the one file the integration serves (no build step for HACS users).
//   npm ci && npm run build            writes the bundle
//   node build.mjs --out FILE          writes it elsewhere (the test that the bundle is current)
import { build } from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const at = args.indexOf("--out");
const outfile =
  at >= 0 ? path.resolve(args[at + 1]) : path.join(here, "..", "custom_components", "home_security_intelligence", "frontend", "hsi-events-card.js");

await build({
  entryPoints: [path.join(here, "src", "index.js")],
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2021"],
  legalComments: "eof",
  banner: { js: "// Home Security Intelligence card. Built from frontend/src by `npm run build`; do not edit." },
  outfile,
  logLevel: "warning",
});

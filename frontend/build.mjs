// Bundles src/ into the one file the integration serves (no build step for HACS users).
//   npm ci && npm run build            writes the bundle
//   node build.mjs --out FILE          writes it elsewhere (the test that the bundle is current)
import { build } from "esbuild";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";

// esbuild keeps template literals as written: squeeze the whitespace out of the static css``
// blocks (runs of blanks become one; none next to braces, semicolons or commas).
const squeezeCss = (source) =>
  source.replace(/css`([^`$]*)`/g, (_whole, body) => {
    const squeezed = body
      .replace(/\s+/g, " ")
      .replace(/\s*([{};,])\s*/g, "$1")
      .trim();
    return `css\`${squeezed}\``;
  });

const cssPlugin = {
  name: "squeeze-css",
  setup(b) {
    b.onLoad({ filter: /frontend[\\/]src[\\/].*\.js$/ }, async (args) => ({
      contents: squeezeCss(await readFile(args.path, "utf8")),
      loader: "js",
    }));
  },
};

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
  plugins: [cssPlugin],
});

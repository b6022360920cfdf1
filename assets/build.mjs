// Build the front end into assets/dist/ (collected by Django's staticfiles).
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import * as sass from "sass";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, "assets", "dist");
const govuk = path.join(root, "node_modules", "govuk-frontend", "dist", "govuk");

mkdirSync(path.join(dist, "css"), { recursive: true });
mkdirSync(path.join(dist, "js"), { recursive: true });

const result = sass.compile(path.join(root, "assets", "scss", "main.scss"), {
  loadPaths: [path.join(root, "node_modules")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(path.join(dist, "css", "main.css"), result.css);
copyFileSync(
  path.join(govuk, "govuk-frontend.min.js"),
  path.join(dist, "js", "govuk-frontend.min.js"),
);
for (const script of ["app.mjs", "passkey.mjs"]) {
  copyFileSync(path.join(root, "assets", "js", script), path.join(dist, "js", script));
}
mkdirSync(path.join(dist, "images"), { recursive: true });
copyFileSync(
  path.join(root, "assets", "images", "favicon.svg"),
  path.join(dist, "images", "favicon.svg"),
);
console.log(`built ${path.relative(root, dist)}/css/main.css (${result.css.length} bytes)`);

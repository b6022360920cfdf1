// Start GOV.UK Frontend's components on every page (no inline script, for CSP).
import { initAll } from "./govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

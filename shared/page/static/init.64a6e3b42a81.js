import { initAll } from "/assets/govuk-frontend.0391e416adb9.min.js";
initAll();

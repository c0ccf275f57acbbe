// Allure 3 configuration for `epix run` and `epix report`.
// The allure2 plugin is the only one used: the awesome, classic and dashboard plugins
// of allure 3.18.0 embed a Google Tag Manager script. `epix` runs the generator with
// ALLURE_NO_ANALYTICS=true and checks that the report calls nowhere.
export default {
  name: process.env.EPIX_REPORT_NAME || "EPIX pilot conformance",
  // Carries trends from run to run: one line per run is appended to this file.
  historyPath: process.env.EPIX_ALLURE_HISTORY || undefined,
  plugins: {
    allure2: {
      options: {
        reportName: process.env.EPIX_REPORT_NAME || "EPIX pilot conformance",
        // One self-contained index.html that opens from disk and can be mailed.
        singleFile: process.env.EPIX_ALLURE_SINGLE_FILE !== "false",
        reportLanguage: "en",
      },
    },
  },
};

// The theme chosen with the dashboard's toggle (app/src/components/theme_toggle.rs), set before the
// styles apply so these pages never flash the other one. The app's index.html does this inline,
// allowed by its hash in the CSP; these pages keep to files, so it is this small classic script.
try {
  const theme = localStorage.getItem("evident.theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
} catch {
  // storage unavailable: the system's preference rules
}

// The page's words: t("Call next") gives the text in the page's language, the <html lang> the
// server chose (the switch, the user's or patient's language, the browser's; docs/languages.md).
// The catalogue, /static/i18n/<lang>.json, is loaded before any module that imports this one
// runs: {"texts": {english: translation, or {one, other, …} by Intl.PluralRules}, "errors":
// {API error code: text}}. `clinic i18n extract` adds new texts to every language's file.

export const LANGUAGES = ["en", "pt-BR", "es"];

/** The clinic's language for a tag ("pt", "pt_br", "es-MX" …), or null. */
export function supported(tag) {
  if (!tag) return null;
  const wanted = String(tag).replace("_", "-").toLowerCase();
  return LANGUAGES.find((lang) => lang.toLowerCase() === wanted)
    || LANGUAGES.find((lang) => lang.split("-")[0] === wanted.split("-")[0]) || null;
}

export const language = supported(document.documentElement.lang) || "en";

async function load(lang) {
  try {
    const answer = await fetch(`/static/i18n/${lang}.json`, { credentials: "same-origin" });
    if (answer.ok) return await answer.json();
  } catch {
    // No catalogue (offline): the English texts of the scripts still read well.
  }
  return { texts: {}, errors: {} };
}

// Dates, times and numbers: the clinic's English is British (24-hour clocks), as on the server.
const FORMATS = { en: "en-GB" };
/** The locale of the page's dates, times and numbers. */
export const formatLocale = FORMATS[language] || language;
const catalogue = await load(language);
const plurals = new Intl.PluralRules(language);
const numbers = new Intl.NumberFormat(formatLocale);

function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const value = params[name];
    return typeof value === "number" ? numbers.format(value) : String(value);
  });
}

/**
 * Translate `text`, filling {name} placeholders from `params` (numbers in the language's
 * format). A text with plural forms picks one by `params.n`: t("{n} waiting", {n: 3}).
 */
export function t(text, params = {}) {
  let found = catalogue.texts?.[text] ?? text;
  if (typeof found === "object" && found !== null) {
    found = found[plurals.select(Number(params.n ?? 0))] ?? found.other ?? text;
  }
  return fill(found, params);
}

/**
 * The text of an API error code in the page's language. English pages show the server's own
 * message (`fallback`: the API speaks English, often in more detail); the catalogue's English
 * "errors" are the translators' reference.
 */
export function errorText(code, fallback, params = {}) {
  const found = language === "en" && fallback ? null : catalogue.errors?.[code];
  return found ? fill(found, params) : fallback;
}

/** A number in the page's language ("1,234.5", "1.234,5"). */
export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(formatLocale, options).format(value);
}

/** A time of day in the page's language ("09:05", "9:05 AM"). */
export function formatTime(date, options = {}) {
  return date.toLocaleTimeString(formatLocale, { hour: "2-digit", minute: "2-digit", ...options });
}

/** A date in the page's language ("30/11/2026", "11/30/2026"). */
export function formatDate(date, options = {}) {
  return date.toLocaleDateString(formatLocale, options);
}

/** A date and time in the page's language. */
export function formatDateTime(date, options = {}) {
  return date.toLocaleString(formatLocale, options);
}

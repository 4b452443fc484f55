// The page's words: t("Call next") gives the text in the page's language.
// Until the catalogues land (issue #17) the catalogue is empty and the English text is returned.

const catalogue = {};

/** Translate `text`, filling {name} placeholders from `params`. */
export function t(text, params = {}) {
  const found = catalogue[text] ?? text;
  return found.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

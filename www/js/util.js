// Small helpers every view of the page uses, kept in one place so they cannot drift apart.

export const $ = (id) => document.getElementById(id);

/** A whole number with thousands separators, as every count on the page is shown. */
export const integer = (n) => Math.round(n).toLocaleString('en-US');

/** The font of everything drawn on canvases: the page's own system font stack. */
export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';

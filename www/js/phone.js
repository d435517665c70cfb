// Narrow screens (phones, tablets upright) show one column; there the settings a run seldom
// needs start folded away, so that the model's views come within the first screens.

/** The width below which the page is one column (style.css's single-column breakpoint). */
const ONE_COLUMN = window.matchMedia('(max-width: 1020px)');

/** Folds `details` if the page opens in one column; the user may unfold it at any time. */
export function foldOnNarrowScreens(details) {
  if (ONE_COLUMN.matches) details.open = false;
}

// What the page's tables share: a cell of nodes, the one row an empty table shows, and their
// scroll boxes, which the keyboard reaches only when they scroll.

/** A table cell holding `children` (nodes or text). */
export function cell(...children) {
  const td = document.createElement('td');
  td.append(...children);
  return td;
}

/** A table body's one row saying it is empty. */
export function emptyRow(tbody, text) {
  const tr = document.createElement('tr');
  const td = document.createElement('td');
  td.colSpan = tbody.parentElement.querySelectorAll('thead th:not([hidden])').length;
  td.className = 'empty';
  td.textContent = text;
  tr.append(td);
  tbody.replaceChildren(tr);
}

/**
 * A table wider than its box (on a phone) scrolls sideways; the keyboard reaches its box then
 * (tabindex 0: arrow keys scroll it), and passes it by when the whole table shows (WCAG 2.1.1).
 */
export function markScrollers() {
  for (const box of document.querySelectorAll('.table-scroll')) {
    const scrolls = box.scrollWidth > box.clientWidth;
    if (scrolls && box.tabIndex !== 0) box.tabIndex = 0;
    else if (!scrolls && box.hasAttribute('tabindex')) box.removeAttribute('tabindex');
  }
}

// The routers table: each router's mode and model subset, edited in place and saved through the
// admin API (PATCH /admin/v1/routers/{name}, If-Match). It follows the config at every refresh a
// row at a time, and never draws over a row being edited or takes the keyboard's focus from it.
import { api, apiWithTag, ApiError } from './api.js';
import { show } from './message.js';
import { cell } from './tables.js';

/** The router just saved: its row is drawn again once, with the focus back on its Save button. */
let saved = '';
/** Each router row and the router it was drawn from: a Save sends what differs from it. */
const drawnRouters = new WeakMap();
/** The latest overview: a Cancel draws its row from it. */
let lastData;
/** What a Save does after it is said: the page's refresh (set by the page, see onRouterSaved). */
let afterSave = async () => {};

/** Tells the table what to run after a Save: the page's refresh, which draws the row again. */
export function onRouterSaved(refresh) {
  afterSave = refresh;
}

const models = (n) => `${n} model${n === 1 ? '' : 's'}`;
const sameMembers = (a, b) => a.length === b.length && a.every((n) => b.includes(n));

/**
 * What the user changed in a router's row, against the router it was drawn from: the mode (when
 * another), and the boxes ticked and unticked. Un-doing a change is no change.
 */
function rowEdits(tr) {
  const { router } = drawnRouters.get(tr);
  const mode = tr.querySelector('select.mode').value;
  const boxes = [...tr.querySelectorAll('input.member')];
  const was = (b) => router.modelSubset.includes(b.value);
  return {
    routingMode: mode === router.routingMode ? undefined : mode,
    added: boxes.filter((b) => b.checked && !was(b)).map((b) => b.value),
    removed: boxes.filter((b) => !b.checked && was(b)).map((b) => b.value),
  };
}
const isEdited = (e) => e.routingMode !== undefined || e.added.length > 0 || e.removed.length > 0;

/** A row being edited is marked, and offers Cancel. */
function markEdited(tr) {
  const edited = isEdited(rowEdits(tr));
  tr.classList.toggle('edited', edited);
  tr.querySelector('button.cancel').hidden = !edited;
}

/**
 * An edited row is not drawn again (it would lose the edit): it says when its router changed on
 * the server meanwhile, or left the config. `r` is the router now (undefined: gone).
 */
function noteServerChange(tr, r) {
  const { router } = drawnRouters.get(tr);
  const note = tr.querySelector('.row-note.changed');
  const changed =
    !r || r.routingMode !== router.routingMode || !sameMembers(r.modelSubset, router.modelSubset);
  note.hidden = !changed;
  // A status region: rewritten only when what it says changes (not at every refresh).
  const text = !r
    ? 'This router is no longer in the config.'
    : changed
      ? `Changed on the server since this row was drawn: now ${r.routingMode}, ${r.modelSubset.join(', ')}. ` +
        'Save applies only what you changed here to it; Cancel shows it as it is now.'
      : '';
  if (note.textContent !== text) note.textContent = text;
}

/** Subset members the row draws no box for, each with why: they are shown, and a Save keeps them. */
function hiddenMembers(r, data, shown) {
  return r.modelSubset
    .filter((n) => !shown.includes(n))
    .map((n) => {
      const d = data.deployments.find((x) => x.name === n);
      if (d) return `${n} (zone ${d.dataZone})`;
      return (data.health ?? []).some((x) => x.name === n)
        ? `${n} (not a chat deployment)`
        : `${n} (no such deployment)`;
    });
}

/**
 * What a router's row shows: a box for each chat deployment of its zone, and the members it has
 * none for; `drawnFrom` (all of it with the router) changes when the row must be drawn again.
 */
function rowContent(r, data) {
  const eligible = data.deployments.filter((d) => !r.dataZone || d.dataZone === r.dataZone);
  const shown = eligible.map((d) => d.name);
  const others = hiddenMembers(r, data, shown);
  return { eligible, others, drawnFrom: JSON.stringify([r, shown, others]) };
}

// Built with DOM calls, not HTML text: a deployment or router name is any string an admin gave it.
function routerRow(r, data) {
  const tr = document.createElement('tr');
  tr.dataset.router = r.name;
  const { eligible, others, drawnFrom } = rowContent(r, data);
  const mode = document.createElement('select');
  mode.className = 'mode';
  mode.setAttribute('aria-label', `routing mode of ${r.name}`);
  for (const m of ['balanced', 'quality', 'cost']) {
    const option = new Option(m, m, false, m === r.routingMode);
    mode.append(option);
  }
  const subset = eligible.map((d) => {
    const label = document.createElement('label');
    label.className = 'subset';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'member';
    box.value = d.name;
    box.checked = r.modelSubset.includes(d.name);
    const name = document.createElement('span');
    name.textContent = d.name;
    label.append(box, name);
    return label;
  });
  const also = document.createElement('p');
  also.className = 'row-note also';
  also.hidden = others.length === 0;
  also.textContent = `Also in its subset, with no box here: ${others.join(', ')}. A Save keeps them.`;
  const changed = document.createElement('p');
  changed.className = 'row-note changed';
  changed.setAttribute('role', 'status');
  changed.hidden = true;
  const save = document.createElement('button');
  save.className = 'save';
  save.textContent = 'Save';
  save.setAttribute('aria-label', `Save ${r.name}`);
  save.addEventListener('click', () => void saveRouter(tr));
  const cancel = document.createElement('button');
  cancel.className = 'cancel';
  cancel.textContent = 'Cancel';
  cancel.setAttribute('aria-label', `Cancel the changes to ${r.name}`);
  cancel.hidden = true;
  // Drawn again from the latest config (a router gone from it leaves the table).
  cancel.addEventListener('click', () => {
    saved = r.name;
    tr.remove();
    renderRouters(lastData);
  });
  tr.append(
    cell(r.name),
    cell(mode),
    cell(...subset, also, changed),
    cell(r.version),
    cell(save, ' ', cancel),
  );
  tr.addEventListener('change', () => markEdited(tr));
  drawnRouters.set(tr, {
    router: { routingMode: r.routingMode, modelSubset: [...r.modelSubset] },
    drawnFrom,
  });
  return tr;
}

/** The control of a new row that stands where `el` stood in the old one (same kind, same box). */
function sameControl(tr, el) {
  if (el.matches('input.member'))
    return [...tr.querySelectorAll('input.member')].find((b) => b.value === el.value);
  const kind = ['select.mode', 'button.save', 'button.cancel'].find((k) => el.matches(k));
  return kind ? tr.querySelector(kind) : undefined;
}

/**
 * The routers table follows the config on every refresh, a row at a time: a row is drawn again
 * only when its router changed, and never while it is being edited (it says so when its router
 * changed on the server meanwhile). The keyboard's focus stays on its control.
 */
export function renderRouters(data) {
  lastData = data;
  const tbody = document.querySelector('#routers tbody');
  const focused = document.activeElement;
  const old = new Map([...tbody.rows].map((tr) => [tr.dataset.router, tr]));
  let refocus;
  const rows = data.routers.map((r) => {
    const tr = old.get(r.name);
    if (tr && r.name !== saved) {
      if (isEdited(rowEdits(tr))) {
        noteServerChange(tr, r);
        return tr;
      }
      if (drawnRouters.get(tr).drawnFrom === rowContent(r, data).drawnFrom) return tr;
    }
    const fresh = routerRow(r, data);
    if (tr?.contains(focused)) refocus = sameControl(fresh, focused);
    return fresh;
  });
  // A row being edited whose router left the config stays, saying so (its Save would say "No router").
  for (const [name, tr] of old)
    if (!data.routers.some((r) => r.name === name) && isEdited(rowEdits(tr))) {
      noteServerChange(tr, undefined);
      rows.push(tr);
    }
  // Rows kept are left in place (moving one would take the keyboard's focus from it).
  for (const tr of [...tbody.rows]) if (!rows.includes(tr)) tr.remove();
  rows.forEach((tr, i) => {
    if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] ?? null);
  });
  refocus?.focus();
  if (saved) {
    const name = saved;
    saved = '';
    [...tbody.rows]
      .find((tr) => tr.dataset.router === name)
      ?.querySelector('.save')
      ?.focus();
  }
}

/** Where the page's router edits are kept: said under the table and after a Save. */
export function editsKept(data) {
  return data?.status?.shared_state?.kind === 'memory'
    ? "Kept in this replica's memory (state.kind: memory): a restart, or a change to the config file, undoes it. Make the change in the config file too to keep it."
    : 'Kept until the config file changes (the file wins then): make the change there too to keep it.';
}

/**
 * Sends only what the user changed: the mode alone when only it changed; for the subset, the
 * boxes ticked and unticked applied to the subset as it is on the server now (read just before),
 * so another admin's change, and members the row has no box for, are kept. The PATCH carries the
 * read's ETag (If-Match): a change landing between the read and the PATCH makes it a 412, and the
 * page reads again and applies the user's changes to that (three tries), so none is overwritten.
 */
async function saveRouter(tr) {
  const name = tr.dataset.router;
  const edits = rowEdits(tr);
  if (!isEdited(edits)) {
    show(`Nothing to save for ${name}: its row is as drawn.`);
    return;
  }
  const drawn = drawnRouters.get(tr).router;
  const path = `/admin/v1/routers/${encodeURIComponent(name)}`;
  try {
    let now;
    let result;
    for (let attempt = 1; !result; attempt++) {
      const read = await apiWithTag(path);
      now = read.body;
      const body = {};
      if (edits.routingMode) body.routingMode = edits.routingMode;
      if (edits.added.length || edits.removed.length)
        body.modelSubset = [
          ...now.modelSubset.filter((n) => !edits.removed.includes(n)),
          ...edits.added.filter((n) => !now.modelSubset.includes(n)),
        ];
      try {
        result = await api(path, {
          method: 'PATCH',
          body: JSON.stringify(body),
          headers: read.etag ? { 'if-match': read.etag } : {},
        });
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 412) || attempt >= 3) throw err;
      }
    }
    const changes = [
      ...(edits.routingMode ? [`mode ${edits.routingMode}`] : []),
      ...(edits.added.length ? [`added ${edits.added.join(', ')}`] : []),
      ...(edits.removed.length ? [`removed ${edits.removed.join(', ')}`] : []),
    ];
    const meanwhile =
      now.routingMode !== drawn.routingMode || !sameMembers(now.modelSubset, drawn.modelSubset)
        ? ` It had changed on the server since its row was drawn (to ${now.routingMode}, ${models(now.modelSubset.length)}): only your changes were applied to that.`
        : '';
    const warnings = (result.warnings || []).filter((w) => w.includes(`router ${name} `));
    show(
      `Saved ${name} (${changes.join('; ')}): now ${result.routingMode}, ${models(result.modelSubset.length)}.` +
        meanwhile +
        (warnings.length ? ` Note: ${warnings.join(' ')}` : '') +
        ` ${editsKept(lastData)}`,
    );
    saved = name;
  } catch (err) {
    // The row keeps the edit, to be put right and saved again (or cancelled).
    show(`Could not save ${name}: ${err.message}`, 'failed');
  }
  await afterSave();
}

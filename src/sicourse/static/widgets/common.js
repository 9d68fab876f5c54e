// Helpers shared by the course widgets. base.py puts this file in front of
// each widget's own module, because a saved widget state cannot import files.

function h(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== false && value != null) node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of [].concat(children)) if (child != null) node.append(child);
  return node;
}

// The interface's words in the page's language: globalThis.SICOURSE_STRINGS (an edition's
// catalogue, which sicourse.book.editions writes into its pages), else the English.
// {0}, {1}... stand for the arguments.
function t(text, ...args) {
  const strings = globalThis.SICOURSE_STRINGS || {};
  return (strings[text] || text).replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)]));
}

// Marks text to translate where it is defined; t() translates it where it is shown.
function N_(text) {
  return text;
}

// A unique prefix for element ids, so two widgets on one page never clash.
function uid(name) {
  return `sic-${name}-${Math.random().toString(36).slice(2, 9)}`;
}

// The widget's outer frame: a labelled region with its title and prompt.
function frame(model, el, name, fallbackLabel) {
  const titleId = uid(`${name}-title`);
  const title = model.get("title") || t(fallbackLabel);
  const root = h("section", { class: `sic-widget sic-${name}`, "aria-labelledby": titleId }, [
    h("p", { class: "sic-title", id: titleId, dir: "auto", text: title }),
  ]);
  if (model.get("prompt")) root.append(h("p", { class: "sic-prompt", dir: "auto", text: model.get("prompt") }));
  el.replaceChildren(root);
  return root;
}

// A polite live region: screen readers announce results written here.
function liveStatus() {
  return h("p", { class: "sic-status", role: "status", "aria-live": "polite" });
}

function button(label, onclick, extra = {}) {
  return h("button", { type: "button", class: "sic-button", onclick, text: label, ...extra });
}

// Write several traits back to the kernel (a no-op on a static page).
function saveAll(model, values) {
  for (const [key, value] of Object.entries(values)) model.set(key, value);
  model.save_changes();
}

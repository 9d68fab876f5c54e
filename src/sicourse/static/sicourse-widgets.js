// Render a static page's saved anywidget views with no kernel and no widget manager.
//
// The saved widget state of an anywidget holds its ES module (_esm) and CSS
// (_css), so a view can be mounted directly: import the module from a Blob URL
// and call its render() with a small in-page model. A page whose views include
// any other kind of widget (plain ipywidgets) is handed to the standard
// @jupyter-widgets/html-manager instead, loaded from the URLs on this script tag.
(function () {
  "use strict";
  const script = document.currentScript;
  const STATE = 'script[type="application/vnd.jupyter.widget-state+json"]';
  const VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]';

  // The model a widget module sees: get/set/on/off/save_changes, as in anywidget.
  function makeModel(initial) {
    const data = Object.assign({}, initial);
    const listeners = new Map();
    return {
      get: (key) => data[key],
      set(key, value) {
        const previous = data[key];
        data[key] = value;
        for (const callback of listeners.get(`change:${key}`) || []) callback({ new: value, old: previous });
      },
      on(event, callback) {
        if (!listeners.has(event)) listeners.set(event, []);
        listeners.get(event).push(callback);
      },
      off(event, callback) {
        if (event === undefined) return listeners.clear();
        listeners.set(event, (listeners.get(event) || []).filter((f) => callback && f !== callback));
      },
      save_changes() {}, // nowhere to save on a static page
      send() {},
    };
  }

  const styled = new Set();
  async function renderView(tag, state) {
    if (state._css && !styled.has(state._anywidget_id)) {
      styled.add(state._anywidget_id);
      const style = document.createElement("style");
      style.textContent = state._css;
      document.head.append(style);
    }
    const url = URL.createObjectURL(new Blob([state._esm], { type: "text/javascript" }));
    let widget = (await import(url)).default;
    URL.revokeObjectURL(url);
    if (typeof widget === "function") widget = await widget();
    const model = makeModel(state);
    const el = document.createElement("div");
    el.className = "sicourse-widget-view";
    tag.parentElement.insertBefore(el, tag);
    el.sicourseModel = model; // tests and page scripts may read a view's model here
    if (widget.initialize) await widget.initialize({ model });
    await widget.render({ model, el });
  }

  function loadScript(src, attributes) {
    return new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = src;
      for (const [key, value] of Object.entries(attributes)) tag.setAttribute(key, value);
      tag.onload = resolve;
      tag.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(tag);
    });
  }

  // A data attribute's URL, relative to this script's own URL (an offline build
  // gives paths under _static/, the same from every page).
  const resolve = (url) => new URL(url, script.src).href;

  // Pages with other widgets: the standard html-manager renders every view.
  async function useWidgetManager() {
    const data = script.dataset;
    const manager = resolve(data.htmlManager);
    const dist = manager.slice(0, manager.lastIndexOf("/") + 1);
    const requirejs = data.requirejsIntegrity
      ? { integrity: data.requirejsIntegrity, crossorigin: "anonymous" } : {};
    await loadScript(resolve(data.requirejs), requirejs);
    // Place the manager's bundled modules in its own folder, where their icon fonts
    // are; otherwise they resolve against this page and the fonts are not found.
    const paths = {
      "@jupyter-widgets/base": dist + "base",
      "@jupyter-widgets/controls": dist + "controls",
      "@jupyter-widgets/html-manager": dist + "index",
      "@jupyter-widgets/html-manager/dist/libembed-amd": dist + "libembed-amd",
    };
    for (const [name, path] of Object.entries(JSON.parse(data.requirePaths || "{}"))) {
      paths[name] = resolve(path);
    }
    window.require.config({ paths });
    await loadScript(manager, {
      "data-jupyter-widgets-cdn": resolve(data.jupyterWidgetsCdn),
      "data-jupyter-widgets-cdn-only": "", // fetch widget modules from there at once
    });
    // The manager renders on the window's load event; if that has passed, start it here.
    if (document.readyState === "complete") {
      window.require(["@jupyter-widgets/html-manager/dist/libembed-amd"], (embed) => embed.renderWidgets());
    }
  }

  async function renderAll() {
    const stateTag = document.querySelector(STATE);
    const views = [...document.querySelectorAll(VIEW)];
    if (!stateTag || views.length === 0) return;
    const models = JSON.parse(stateTag.textContent).state;
    const wanted = views.map((tag) => models[JSON.parse(tag.textContent).model_id]);
    // "?widget-manager" in the address forces the standard path (for comparison).
    const forced = new URLSearchParams(window.location.search).has("widget-manager");
    if (forced || wanted.some((m) => !m || m.model_module !== "anywidget" || !m.state._esm)) {
      return useWidgetManager();
    }
    await Promise.all(views.map((tag, i) => renderView(tag, wanted[i].state)));
    document.documentElement.dataset.sicourseWidgets = "rendered";
  }

  const start = () => renderAll().catch((error) => console.error("sicourse widgets:", error));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

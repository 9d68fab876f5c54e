// Impact bond simulator: number inputs, the outcome in words and a small bar chart.

// The formula, the same as outcome() and problems() in impact_bond.py; exported
// so that a test can run it with node on the same hand-computed cases.
export function problems(capital, target, achieved, payment_per_point, years, cap = null) {
  const values = { capital, target, achieved, payment_per_point, years, cap };
  const found = {};
  for (const [name, value] of Object.entries(values)) {
    if (name === "cap" && value === null) continue;
    if (typeof value !== "number" || Number.isNaN(value)) found[name] = N_("must be a number");
    else if (!Number.isFinite(value)) found[name] = N_("must be a finite number");
  }
  const rules = {
    capital: [N_("must be more than 0"), (v) => v > 0],
    target: [N_("must not be negative"), (v) => v >= 0],
    payment_per_point: [N_("must not be negative"), (v) => v >= 0],
    years: [N_("must be more than 0"), (v) => v > 0],
    cap: [N_("must be more than 0 (leave it empty for no cap)"), (v) => v === null || v > 0],
  };
  for (const [name, [message, ok]] of Object.entries(rules)) {
    if (!(name in found) && !ok(values[name])) found[name] = message;
  }
  return found;
}

export function outcome(capital, target, achieved, payment_per_point, years, cap = null) {
  const met = achieved >= target;
  const payer_pays = met ? Math.min(payment_per_point * achieved, cap !== null ? cap : Infinity) : 0;
  const multiple = payer_pays / capital;
  return {
    met,
    payer_pays,
    investors_receive: payer_pays,
    investor_gain: payer_pays - capital,
    multiple,
    // To 10 decimal places, as in Python: the last bit of ** differs between the two.
    annual_return: payer_pays > 0 ? Number((multiple ** (1 / years) - 1).toFixed(10)) : -1.0,
  };
}

const INPUTS = [
  // [trait, label, unit ("money" = the preset's currency), hint]; the labels and their
  // order are LABELS in impact_bond.py, which words an error result the same way.
  ["capital", N_("Capital raised from investors"), "money", N_("Spent on the service.")],
  ["target", N_("Target improvement"), "%", N_("Needed before anything is paid.")],
  ["achieved", N_("Improvement achieved"), "%", N_("May be negative if things got worse.")],
  ["payment_per_point", N_("Payment per percentage point"), "money", N_("For each point achieved.")],
  ["cap", N_("Cap on total payments"), "money", N_("Optional: leave empty for no cap.")],
  ["years", N_("Years to final payment"), N_("years"), N_("From investment to the last payment.")],
];

function money(amount, currency) {
  const digits = Number.isInteger(amount) ? 0 : 2;
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency, maximumFractionDigits: digits }).format(amount);
  } catch {
    return `${amount.toLocaleString("en", { maximumFractionDigits: digits })} ${currency}`;
  }
}

function percent(fraction) {
  return `${(fraction * 100).toLocaleString("en", { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%`;
}

function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function render({ model, el }) {
  const root = frame(model, el, "impact-bond", N_("Social impact bond simulator"));
  const prefix = uid("impact-bond");
  const presets = model.get("presets") || [];
  const status = liveStatus();
  let writing = false;  // true while this view writes to the model, so it ignores its own echo

  const presetId = `${prefix}-preset`;
  const presetSelect = h("select", { id: presetId, class: "sic-select" }, [
    ...presets.map((p) => h("option", { value: p.id, dir: "auto", text: p.label })),
    h("option", { value: "", text: t("Your own figures") }),
  ]);
  const note = h("p", { class: "sic-hint", dir: "auto" });

  const fields = Object.fromEntries(INPUTS.map(([name, label, unit, hint]) => {
    const id = `${prefix}-${name}`;
    const unitText = h("span", { class: "sic-unit" });
    const error = h("p", { class: "sic-error", id: `${id}-error` });
    const input = h("input", {
      id, type: "number", step: "any", inputmode: "decimal",
      "aria-describedby": `${id}-hint ${id}-error`,
    });
    const wrap = h("div", { class: "sic-field" }, [
      h("label", { for: id }, [t(label), " ", unitText]),
      input,
      h("p", { class: "sic-hint", id: `${id}-hint`, text: t(hint) }),
      error,
    ]);
    input.addEventListener("input", () => edited(name));
    input.addEventListener("change", announce);
    return [name, { name, label, unit, input, unitText, error, wrap }];
  }));

  // The result: a list of terms and figures (dl.sic-results), or what to fix. A <dl> holds
  // only terms and descriptions, so the message replaces the list rather than sitting in it.
  const results = h("div", { class: "sic-outcome" });
  const chart = h("div", { class: "sic-chart" });

  function read(name) {
    const raw = fields[name].input.value.trim();
    if (raw === "") return name === "cap" ? null : NaN;
    return fields[name].input.valueAsNumber;
  }

  function values() {
    return INPUTS.map(([name]) => read(name));
  }

  function fill() {
    const currency = model.get("currency") || "GBP";
    for (const { name, unit, input, unitText } of Object.values(fields)) {
      const value = model.get(name);
      input.value = value === null || value === undefined ? "" : String(value);
      unitText.textContent = `(${unit === "money" ? currency : t(unit)})`;
    }
    presetSelect.value = presets.some((p) => p.id === model.get("preset")) ? model.get("preset") : "";
    const preset = presets.find((p) => p.id === presetSelect.value);
    note.textContent = preset ? preset.note : "";
  }

  // Recompute from the inputs on screen; returns the result (or an error) to sync.
  function update() {
    const [capital, target, achieved, payment, cap, years] = values();
    const wrong = problems(capital, target, achieved, payment, years, cap);
    for (const { name, label, input, error } of Object.values(fields)) {
      input.setAttribute("aria-invalid", name in wrong ? "true" : "false");
      error.textContent = name in wrong ? t("{0} {1}.", t(label), t(wrong[name])) : "";
    }
    const currency = model.get("currency") || "GBP";
    if (Object.keys(wrong).length) {
      const message = Object.values(fields).filter((f) => f.name in wrong).map((f) => f.error.textContent).join(" ");
      results.replaceChildren(h("p", { class: "sic-error", text: t("Fix the figures above to see the result. {0}", message) }));
      chart.replaceChildren();
      return { error: message };
    }
    const r = outcome(capital, target, achieved, payment, years, cap);
    const gain = r.investor_gain >= 0 ? t("a gain of {0}", money(r.investor_gain, currency)) : t("a loss of {0}", money(-r.investor_gain, currency));
    const capped = r.met && cap !== null && payment * achieved > cap;
    const rows = [
      [t("Target met?"), r.met ? t("Yes: {0}% achieved against a target of {1}%.", achieved, target) : t("No: {0}% achieved against a target of {1}%, so nothing is paid.", achieved, target)],
      [t("The outcome payer pays"), `${money(r.payer_pays, currency)}${capped ? ` ${t("(the cap)")}` : ""}`],
      [t("Investors get back"), r.payer_pays > 0
        ? t("{0}, {1} times their capital", money(r.investors_receive, currency), r.multiple.toLocaleString("en", { maximumFractionDigits: 2 }))
        : t("{0}: they lose all their capital", money(0, currency))],
      [t("Investors' gain or loss"), gain],
      [t("Annual return"), years === 1 ? t("{0} a year over {1} year", percent(r.annual_return), years) : t("{0} a year over {1} years", percent(r.annual_return), years)],
    ];
    results.replaceChildren(h("dl", { class: "sic-results" },
      rows.flatMap(([term, value]) => [h("dt", { text: term }), h("dd", { class: "sic-value", text: value })])));
    drawChart(capital, r.payer_pays, currency);
    return r;
  }

  function drawChart(capital, repaid, currency) {
    const width = 256;
    const scale = width / Math.max(capital, repaid, 1);
    const bars = [
      [t("Capital"), capital, "sic-bar-capital"],
      [t("Repaid"), repaid, repaid >= capital ? "sic-bar-gain" : "sic-bar-loss"],
    ];
    const label = t("Bar chart: capital invested {0}; repaid by the outcome payer {1}.", money(capital, currency), money(repaid, currency));
    // Right to left, the bars grow from the right edge, where the text starts too.
    const rtl = getComputedStyle(chart).direction === "rtl";
    chart.replaceChildren(svg("svg", { viewBox: "0 0 260 100", role: "img", "aria-label": label, class: "sic-bars" },
      bars.flatMap(([name, amount, cls], i) => {
        const w = Math.max(amount * scale, 1);
        return [
          svg("text", { x: rtl ? 260 : 0, y: 16 + i * 50, text: `${name}: ${money(amount, currency)}` }),
          svg("rect", { x: rtl ? 260 - w : 0, y: 24 + i * 50, width: w, height: 20, class: cls }),
        ];
      })));
  }

  function sync(extra = {}) {
    const result = update();
    writing = true;
    try {
      saveAll(model, { ...extra, result });
    } finally {
      writing = false;
    }
  }

  function edited(name) {
    const value = read(name);
    const extra = { preset: "" };
    if (value === null || Number.isFinite(value)) extra[name] = value;
    presetSelect.value = "";
    note.textContent = "";
    sync(extra);
  }

  function announce() {
    const r = model.get("result") || {};
    if (r.error) status.textContent = r.error;
    else {
      const currency = model.get("currency") || "GBP";
      status.textContent = r.met
        ? t("Target met. The outcome payer pays {0}; investors' annual return is {1}.", money(r.payer_pays, currency), percent(r.annual_return))
        : t("Target not met. Nothing is paid; investors lose their capital.");
    }
  }

  function loadPreset() {
    const preset = presets.find((p) => p.id === presetSelect.value);
    if (!preset) return;
    const values = Object.fromEntries(INPUTS.map(([name]) => [name, preset[name] ?? null]));
    writing = true;
    try {
      saveAll(model, { ...values, preset: preset.id, currency: preset.currency || "GBP" });
    } finally {
      writing = false;
    }
    fill();
    sync();
    status.textContent = t('Loaded the preset "{0}".', preset.label);
  }
  presetSelect.addEventListener("change", loadPreset);

  // Changes made in Python (a learner setting widget.capital = ...) show here too.
  const watched = [...INPUTS.map(([name]) => name), "currency", "preset"];
  const onChange = () => {
    if (writing) return;
    fill();
    sync();
  };
  for (const name of watched) model.on(`change:${name}`, onChange);

  root.append(
    h("div", { class: "sic-field" }, [h("label", { for: presetId, text: t("Preset") }), presetSelect]),
    note,
    h("fieldset", { class: "sic-inputs" }, [
      h("legend", { text: t("The bond") }),
      ...Object.values(fields).map((f) => f.wrap),
    ]),
    h("p", { class: "sic-subtitle", text: t("What happens") }),
    results,
    chart,
    status,
  );
  fill();
  const result = update();
  if (JSON.stringify(result) !== JSON.stringify(model.get("result"))) sync();
  return () => {
    for (const name of watched) model.off(`change:${name}`, onChange);
  };
}

export default { render };

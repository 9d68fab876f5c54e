// Theory of change: five linked boxes with an assumption on each link, a gap check
// and a Markdown export, all in the browser.

const STAGES = [
  ["inputs", N_("Inputs"), N_("What you put in: people, money, time, partners, knowledge.")],
  ["activities", N_("Activities"), N_("What you do with the inputs.")],
  ["outputs", N_("Outputs"), N_("What the activities directly produce, and can be counted.")],
  ["outcomes", N_("Outcomes"), N_("The changes for the people you serve.")],
  ["impact", N_("Impact"), N_("The long-term change in society you contribute to.")],
];

function blank(text) {
  return !text || !text.trim();
}

// The chain as Markdown, as to_markdown() in theory_of_change.py; exported so that a
// test can run it with node.
export function toMarkdown(stages, assumptions, title = "") {
  const lines = [`# ${title.trim() || t("Theory of change")}`, ""];
  STAGES.forEach(([key, label], index) => {
    lines.push(`## ${index + 1}. ${t(label)}`, "", blank(stages[key]) ? `_${t("(not filled in yet)")}_` : stages[key].trim(), "");
    const next = STAGES[index + 1];
    if (next) {
      const text = blank(assumptions[key]) ? `_${t("(not stated yet)")}_` : assumptions[key].trim();
      const quoted = text.split("\n").map((line) => `> ${line}`.trimEnd());
      quoted[0] = `> **${t("Assumption ({0} → {1})", t(label), t(next[1]))}:** ${text.split("\n")[0]}`.trimEnd();
      lines.push(...quoted, "");
    }
  });
  return `${lines.join("\n").trimEnd()}\n`;
}

// What is missing, in words: one entry per empty stage or assumption.
export function gaps(stages, assumptions) {
  const found = [];
  STAGES.forEach(([key, label], index) => {
    if (blank(stages[key])) found.push({ kind: "stage", key, message: t("The {0} box is empty.", t(label)) });
    const next = STAGES[index + 1];
    if (next && blank(assumptions[key])) {
      found.push({ kind: "assumption", key, message: t("The assumption linking {0} to {1} is missing.", t(label), t(next[1])) });
    }
  });
  return found;
}

function render({ model, el }) {
  const root = frame(model, el, "theory-of-change", N_("Theory of change"));
  const prefix = uid("toc");
  const status = liveStatus();
  const stages = { ...model.get("stages") };
  const assumptions = { ...model.get("assumptions") };
  let writing = false;

  function box(kind, key, label, hint) {
    const id = `${prefix}-${kind}-${key}`;
    const error = h("p", { class: "sic-error", id: `${id}-error` });
    const textarea = h("textarea", {
      id, rows: 3, dir: "auto", "aria-describedby": `${id}-hint ${id}-error`,
    });
    const store = kind === "stage" ? stages : assumptions;
    textarea.value = store[key] || "";
    textarea.addEventListener("input", () => {
      store[key] = textarea.value;
      if (!blank(textarea.value)) mark(entry, "");
    });
    textarea.addEventListener("change", save);
    const wrap = h("div", { class: kind === "stage" ? "sic-stage" : "sic-link" }, [
      h("label", { for: id, text: label }),
      h("p", { class: "sic-hint", id: `${id}-hint`, text: hint }),
      textarea,
      error,
    ]);
    const entry = { kind, key, textarea, error, wrap };
    return entry;
  }

  function mark({ textarea, error }, message) {
    textarea.setAttribute("aria-invalid", message ? "true" : "false");
    error.textContent = message;
  }

  const boxes = [];
  STAGES.forEach(([key, label, hint], index) => {
    boxes.push(box("stage", key, `${index + 1}. ${t(label)}`, t(hint)));
    const next = STAGES[index + 1];
    if (next) {
      const [from, to] = [t(label).toLowerCase(), t(next[1]).toLowerCase()];
      boxes.push(box("assumption", key, t("Assumption: why {0} lead to {1}", from, to),
        t("What must be true for {0} to lead to {1}?", from, to)));
    }
  });

  function save() {
    writing = true;
    try {
      saveAll(model, { stages: { ...stages }, assumptions: { ...assumptions } });
    } finally {
      writing = false;
    }
  }

  function check() {
    const found = gaps(stages, assumptions);
    for (const entry of boxes) {
      const gap = found.find((g) => g.kind === entry.kind && g.key === entry.key);
      mark(entry, gap ? gap.message : "");
    }
    status.textContent = found.length === 0
      ? t("Every stage and every assumption is filled in.")
      : found.length === 1 ? t("{0} gap in your chain: {1}", 1, found[0].message)
      : t("{0} gaps in your chain: {1}", found.length, found.map((g) => g.message).join(" "));
    save();
  }

  const outputId = `${prefix}-markdown`;
  const output = h("textarea", { id: outputId, rows: 12, readonly: true, dir: "auto", class: "sic-markdown" });
  const exported = h("div", { class: "sic-export", hidden: true }, [
    h("label", { for: outputId, text: t("Your theory of change as Markdown (read-only: select it and copy it)") }),
    output,
  ]);

  function exportMarkdown() {
    const markdown = toMarkdown(stages, assumptions, model.get("title"));
    output.value = markdown;
    exported.hidden = false;
    status.textContent = t("The Markdown is ready in the box below the buttons.");
    writing = true;
    try {
      saveAll(model, { stages: { ...stages }, assumptions: { ...assumptions }, markdown });
    } finally {
      writing = false;
    }
  }

  // Changes made in Python show here too.
  const onChange = () => {
    if (writing) return;
    Object.assign(stages, model.get("stages"));
    Object.assign(assumptions, model.get("assumptions"));
    for (const { kind, key, textarea } of boxes) textarea.value = (kind === "stage" ? stages : assumptions)[key] || "";
  };
  model.on("change:stages", onChange);
  model.on("change:assumptions", onChange);

  const chain = h("div", { class: "sic-chain" });
  for (const entry of boxes) {
    if (entry.kind === "assumption") chain.append(h("p", { class: "sic-arrow", "aria-hidden": "true", text: "↓" }));
    chain.append(entry.wrap);
    if (entry.kind === "assumption") chain.append(h("p", { class: "sic-arrow", "aria-hidden": "true", text: "↓" }));
  }
  root.append(
    chain,
    h("div", { class: "sic-actions" }, [button(t("Check my chain"), check), button(t("Export to Markdown"), exportMarkdown)]),
    status,
    exported,
  );
  if (model.get("markdown")) {
    output.value = model.get("markdown");
    exported.hidden = false;
  }
  return () => {
    model.off("change:stages", onChange);
    model.off("change:assumptions", onChange);
  };
}

export default { render };

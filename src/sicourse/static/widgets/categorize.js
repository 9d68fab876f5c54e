// Categorize: one drop-down list of categories per item, checked in the browser.

function render({ model, el }) {
  const root = frame(model, el, "categorize", N_("Sort the items"));
  const prefix = uid("categorize");
  const categories = model.get("categories");
  const labels = Object.fromEntries(categories.map((c) => [c.id, c.label]));
  const placement = structuredClone(model.get("placement") || {});
  const status = liveStatus();

  const rows = model.get("items").map((item, index) => {
    const id = `${prefix}-${index}`;
    const verdict = h("p", { class: "sic-verdict", id: `${id}-verdict`, dir: "auto" });
    const feedback = h("p", { class: "sic-feedback", dir: "auto", hidden: true });
    const select = h("select", { id, class: "sic-select", "aria-describedby": `${id}-verdict` }, [
      h("option", { value: "", text: t("Choose a category…") }),
      ...categories.map((c) => h("option", { value: c.id, dir: "auto", text: c.label })),
    ]);
    select.value = placement[item.id] in labels ? placement[item.id] : "";
    const row = h("li", { class: "sic-item", "data-item": item.id }, [
      h("label", { for: id, dir: "auto", text: item.text }), select, verdict, feedback,
    ]);
    const entry = { item, select, verdict, feedback, row };
    select.addEventListener("change", () => {
      if (select.value) placement[item.id] = select.value;
      else delete placement[item.id];
      clearMark(entry);
      saveAll(model, { placement: structuredClone(placement) });
    });
    return entry;
  });

  function clearMark({ row, verdict, feedback }) {
    row.classList.remove("sic-right", "sic-wrong");
    verdict.textContent = "";
    feedback.hidden = true;
  }

  function check() {
    let score = 0;
    for (const { item, verdict, feedback, row } of rows) {
      const chosen = placement[item.id];
      const right = chosen === item.category;  // the score, as score_of() in categorize.py
      score += right ? 1 : 0;
      row.classList.toggle("sic-right", right);
      row.classList.toggle("sic-wrong", !right);
      verdict.textContent = !chosen ? t("Not placed yet.")
        : right ? t('Correct: it belongs in "{0}".', labels[chosen])
        : t('Misplaced: it does not belong in "{0}".', labels[chosen]);
      feedback.textContent = item.feedback;
      feedback.hidden = !chosen || !item.feedback;
    }
    const total = rows.length;
    status.textContent = total === 1
      ? t("You placed {0} of {1} item in the right category.", score, total)
      : t("You placed {0} of {1} items in the right category.", score, total);
    saveAll(model, { placement: structuredClone(placement), score, checked: true });
  }

  function retry() {
    for (const key of Object.keys(placement)) delete placement[key];
    for (const entry of rows) {
      entry.select.value = "";
      clearMark(entry);
    }
    status.textContent = t("Choices cleared. Try again.");
    saveAll(model, { placement: {}, score: 0, checked: false });
    rows[0]?.select.focus();
  }

  root.append(
    h("ul", { class: "sic-items", role: "list" }, rows.map((r) => r.row)),
    h("div", { class: "sic-actions" }, [button(t("Check"), check), button(t("Try again"), retry)]),
    status,
  );
  if (model.get("checked")) check();
}

export default { render };

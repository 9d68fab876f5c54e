// Match: one drop-down list of right-hand texts per left-hand item, checked in the browser.

function render({ model, el }) {
  const root = frame(model, el, "match", N_("Match the pairs"));
  const prefix = uid("match");
  const pairs = model.get("pairs");
  const texts = Object.fromEntries(pairs.map((p) => [p.id, p.right]));
  const offered = (model.get("right_order") || []).filter((id) => id in texts);
  const choices = offered.length === pairs.length ? offered : pairs.map((p) => p.id);
  const matches = structuredClone(model.get("matches") || {});
  const status = liveStatus();

  const rows = pairs.map((pair, index) => {
    const id = `${prefix}-${index}`;
    const verdict = h("p", { class: "sic-verdict", id: `${id}-verdict`, dir: "auto" });
    // The whole chosen text, since a narrow screen cuts it short inside the list.
    const chosen = h("p", { class: "sic-chosen", dir: "auto", "aria-hidden": "true" });
    const select = h("select", { id, class: "sic-select", "aria-describedby": `${id}-verdict` }, [
      h("option", { value: "", dir: "auto", text: model.get("right_label") ? t("{0}: choose…", model.get("right_label")) : t("Choose a match…") }),
      ...choices.map((c) => h("option", { value: c, dir: "auto", text: texts[c] })),
    ]);
    select.value = matches[pair.id] in texts ? matches[pair.id] : "";
    const row = h("li", { class: "sic-item sic-pair", "data-pair": pair.id }, [
      h("label", { for: id, dir: "auto", text: pair.left }), select, chosen, verdict,
    ]);
    const entry = { pair, select, chosen, verdict, row };
    showChoice(entry);
    select.addEventListener("change", () => {
      if (select.value) matches[pair.id] = select.value;
      else delete matches[pair.id];
      showChoice(entry);
      clearMark(entry);
      saveAll(model, { matches: structuredClone(matches) });
    });
    return entry;
  });

  function showChoice({ select, chosen }) {
    chosen.textContent = select.value ? texts[select.value] : "";
  }

  function clearMark({ row, verdict }) {
    row.classList.remove("sic-right", "sic-wrong");
    verdict.textContent = "";
  }

  function check() {
    let score = 0;
    for (const { pair, verdict, row } of rows) {
      const picked = matches[pair.id];
      const right = picked === pair.id;  // the score, as score_of() in match.py
      score += right ? 1 : 0;
      row.classList.toggle("sic-right", right);
      row.classList.toggle("sic-wrong", !right);
      verdict.textContent = !picked ? t("No match chosen.") : right ? t("Correct match.") : t("Not a match.");
    }
    const total = rows.length;
    status.textContent = total === 1
      ? t("You matched {0} of {1} pair correctly.", score, total)
      : t("You matched {0} of {1} pairs correctly.", score, total);
    saveAll(model, { matches: structuredClone(matches), score, checked: true });
  }

  function retry() {
    for (const key of Object.keys(matches)) delete matches[key];
    for (const entry of rows) {
      entry.select.value = "";
      showChoice(entry);
      clearMark(entry);
    }
    status.textContent = t("Matches cleared. Try again.");
    saveAll(model, { matches: {}, score: 0, checked: false });
    rows[0]?.select.focus();
  }

  const left = model.get("left_label");
  const right = model.get("right_label");
  if (left || right) {
    // The column headings on one line: at narrow widths the rows stack anyway.
    root.append(h("p", { class: "sic-columns" }, [
      left ? h("span", { dir: "auto", text: left }) : null,
      left && right ? h("span", { "aria-hidden": "true", text: " → " }) : null,
      right ? h("span", { dir: "auto", text: right }) : null,
    ]));
  }
  root.append(
    h("ul", { class: "sic-items", role: "list" }, rows.map((r) => r.row)),
    h("div", { class: "sic-actions" }, [button(t("Check matches"), check), button(t("Try again"), retry)]),
    status,
  );
  if (model.get("checked")) check();
}

export default { render };

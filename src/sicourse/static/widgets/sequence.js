// Sequence: reorder steps with "Move up" / "Move down" buttons, checked in the browser.

function sameIds(a, b) {
  return Array.isArray(a) && a.length === b.length && [...a].sort().join("\u001f") === [...b].sort().join("\u001f");
}

// The score: steps in their right place (ids is the right order), as score_of() in sequence.py.
function placed(order, ids) {
  return order.filter((id, position) => ids[position] === id).length;
}

function render({ model, el }) {
  const root = frame(model, el, "sequence", N_("Put the steps in order"));
  const prefix = uid("sequence");
  const steps = model.get("steps");
  const ids = steps.map((s) => s.id);
  const start = sameIds(model.get("start"), ids) ? [...model.get("start")] : [...ids];
  let order = sameIds(model.get("order"), ids) ? [...model.get("order")] : [...start];
  const status = liveStatus();
  const list = h("ol", { class: "sic-steps" });

  const rows = Object.fromEntries(steps.map((step, index) => {
    const textId = `${prefix}-${index}`;
    const verdict = h("p", { class: "sic-verdict", dir: "auto" });
    const extra = { class: "sic-button sic-secondary", "aria-describedby": textId };
    const up = button(t("Move up"), () => move(step.id, -1, "up"), extra);
    const down = button(t("Move down"), () => move(step.id, +1, "down"), extra);
    const row = h("li", { class: "sic-step", "data-step": step.id }, [
      h("div", { class: "sic-step-body" }, [
        h("p", { class: "sic-step-text", id: textId, dir: "auto", text: step.text }),
        h("div", { class: "sic-step-moves" }, [up, down]),
      ]),
      verdict,
    ]);
    return [step.id, { step, row, up, down, verdict }];
  }));

  function layout() {
    order.forEach((id, position) => {
      const { row, up, down } = rows[id];
      list.append(row);
      up.disabled = position === 0;
      down.disabled = position === order.length - 1;
    });
  }

  function clearMarks() {
    for (const { row, verdict } of Object.values(rows)) {
      row.classList.remove("sic-right", "sic-wrong");
      verdict.textContent = "";
    }
  }

  function move(id, delta, direction) {
    const from = order.indexOf(id);
    const to = from + delta;
    if (to < 0 || to >= order.length) return;
    [order[from], order[to]] = [order[to], order[from]];
    clearMarks();
    layout();
    const { step, up, down } = rows[id];
    const same = direction === "up" ? up : down;
    (same.disabled ? (direction === "up" ? down : up) : same).focus();
    status.textContent = t('Moved "{0}" to position {1} of {2}.', step.text, to + 1, order.length);
    saveAll(model, { order: [...order] });
  }

  function check() {
    const score = placed(order, ids);
    order.forEach((id, position) => {
      const { step, row, verdict } = rows[id];
      const right = ids[position] === id;
      row.classList.toggle("sic-right", right);
      row.classList.toggle("sic-wrong", !right);
      verdict.textContent = right ? t("In the right place.")
        : `${t("Not in the right place.")}${step.feedback ? ` ${step.feedback}` : ""}`;
    });
    const total = order.length;
    status.textContent = score === total
      ? t("All {0} steps are in the right order.", total)
      : score === 1 ? t("{0} of {1} steps is in the right place.", score, total)
      : t("{0} of {1} steps are in the right place.", score, total);
    saveAll(model, { order: [...order], score, checked: true });
  }

  function retry() {
    order = [...start];
    clearMarks();
    layout();
    status.textContent = t("The steps are back in their starting order. Try again.");
    // The starting order may have steps in place already: the score counts them.
    saveAll(model, { order: [...order], score: placed(order, ids), checked: false });
    rows[order[0]].down.focus();
  }

  layout();
  root.append(
    h("p", { class: "sic-hint", text: t("Use the Move up and Move down buttons to put the steps in order, first step at the top.") }),
    list,
    h("div", { class: "sic-actions" }, [button(t("Check order"), check), button(t("Try again"), retry)]),
    status,
  );
  if (model.get("checked")) check();
}

export default { render };

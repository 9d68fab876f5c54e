// Quiz: radio buttons and checkboxes in fieldsets, checked in the browser.

// Right when the options chosen are exactly the correct ones; the score counts the
// questions answered right, as score_of() in quiz.py.
function isRight(question, chosen) {
  const correct = question.options.filter((o) => o.correct).map((o) => o.id);
  return chosen.length === correct.length && correct.every((id) => chosen.includes(id));
}

function render({ model, el }) {
  const root = frame(model, el, "quiz", N_("Quiz"));
  const prefix = uid("quiz");
  const answers = structuredClone(model.get("answers") || {});
  const status = liveStatus();

  const blocks = model.get("questions").map((q, index) => {
    const verdict = h("p", { class: "sic-verdict", dir: "auto" });
    const fieldset = h("fieldset", { class: "sic-question", "data-question": q.id }, [
      h("legend", { dir: "auto", text: `${index + 1}. ${q.prompt}` }),
    ]);
    if (q.kind === "multiple") fieldset.append(h("p", { class: "sic-hint", text: t("Select all that apply.") }));
    const type = q.kind === "multiple" ? "checkbox" : "radio";
    const options = q.options.map((o) => {
      const id = `${prefix}-${q.id}-${o.id}`;
      const input = h("input", { type, id, name: `${prefix}-${q.id}`, value: o.id });
      input.checked = (answers[q.id] || []).includes(o.id);
      input.addEventListener("change", () => {
        answers[q.id] = [...fieldset.querySelectorAll("input:checked")].map((i) => i.value);
      });
      const feedback = h("span", { class: "sic-feedback", dir: "auto", hidden: true });
      const row = h("div", { class: "sic-option" }, [input, h("label", { for: id, dir: "auto", text: o.text }), feedback]);
      fieldset.append(row);
      return { option: o, input, feedback, row };
    });
    fieldset.append(verdict);
    return { q, fieldset, options, verdict };
  });

  function check() {
    let score = 0;
    for (const { q, fieldset, options, verdict } of blocks) {
      const chosen = answers[q.id] || [];
      const right = isRight(q, chosen);
      score += right ? 1 : 0;
      fieldset.classList.toggle("sic-right", right);
      fieldset.classList.toggle("sic-wrong", !right);
      verdict.textContent = chosen.length === 0 ? t("No answer chosen.") : right ? t("Correct.") : t("Not quite.");
      for (const { option, feedback, row } of options) {
        const picked = chosen.includes(option.id);
        const missed = q.kind === "multiple" && option.correct && !picked;
        feedback.hidden = !(picked || missed);
        feedback.textContent = missed ? t("You missed this one. {0}", option.feedback) : option.feedback;
        row.classList.toggle("sic-picked-right", picked && option.correct);
        row.classList.toggle("sic-picked-wrong", picked && !option.correct);
      }
    }
    const total = blocks.length;
    status.textContent = total === 1
      ? t("You answered {0} of {1} question correctly.", score, total)
      : t("You answered {0} of {1} questions correctly.", score, total);
    saveAll(model, { answers: structuredClone(answers), score, checked: true });
  }

  function retry() {
    for (const key of Object.keys(answers)) delete answers[key];
    for (const { fieldset, options, verdict } of blocks) {
      fieldset.classList.remove("sic-right", "sic-wrong");
      verdict.textContent = "";
      for (const { input, feedback, row } of options) {
        input.checked = false;
        feedback.hidden = true;
        row.classList.remove("sic-picked-right", "sic-picked-wrong");
      }
    }
    status.textContent = t("Answers cleared. Try again.");
    saveAll(model, { answers: {}, score: 0, checked: false });
    blocks[0]?.options[0]?.input.focus();
  }

  root.append(...blocks.map((b) => b.fieldset));
  root.append(h("div", { class: "sic-actions" }, [button(t("Check answers"), check), button(t("Try again"), retry)]), status);
  if (model.get("checked")) check();
}

export default { render };

"""nbgrader feedback preprocessor: remove hidden tests, and what their failures print.

Stock ``nbgrader generate_feedback`` shows graded notebooks as they were run,
hidden tests included, and a failing hidden assertion prints the expected
answer in its traceback. This preprocessor removes each hidden-test region and
replaces the outputs of any cell that had one with a short neutral message;
the cell's score, shown by nbgrader's template from the gradebook, stays.
Configured in ``nbgrader_config.py``.
"""

from __future__ import annotations

from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests

PASSED = "Hidden tests for this answer ran. See the points above this cell.\n"
FAILED = "Some hidden tests for this answer did not pass. See the points above this cell.\n"


class HideHiddenTests(ClearHiddenTests):
    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type == "code" and cell.metadata.get("sicourse_hidden_removed"):
            failed = any(out.output_type == "error" for out in cell.outputs)
            cell.outputs = [new_output("stream", name="stdout", text=FAILED if failed else PASSED)]
        return cell, resources

    def _remove_hidden_test_region(self, cell) -> bool:
        removed = super()._remove_hidden_test_region(cell)
        if removed:
            cell.metadata["sicourse_hidden_removed"] = True
        return removed

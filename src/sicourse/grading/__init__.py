"""Grading at scale: collect submissions, grade them in isolation, feedback and reports."""

"""Putting the plan out: figures and the named charts, chart files, the panel report (Word
and PDF) and the data exports."""

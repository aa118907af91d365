"""City submissions, from a user's file to a stored round: parse (CSV, workbook, Turtle, JSON-LD) → stage →
validate (SHACL) → commit in one atomic write, for one file or a whole directory in parallel.

This is the trust boundary for files: `userfiles` reads a user's RDF without fetching anything,
`workbook` reads a user's xlsx without evaluating or following anything, `numbers` admits only numbers
the store keeps exactly (NUM-1), and `model` lets a file state only what its closed model allows (MOD-1).
Owns: `staged` (what a submission is made of), `numbers`, `parse`, `workbook`, `template` (template and
export), `userfiles`, `model`, `validate` (SHACL runs and reports), `ingest` (one file), `bulk` (a directory),
`derived` (the scores and summaries computed from the submissions, written with them).
May import: `catalogue` and the foundations.
"""

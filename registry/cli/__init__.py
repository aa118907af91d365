"""The one console script, `kpi-registry`: every verb, thin, each calling one library function.

Tables for people, `--format json` for machines, progress bars on long work; errors are one line naming
file, line or node and the rule, never a traceback (exit 1 refused, 2 unreadable input or configuration).
Owns: `main` (the group and the catalogue verbs), `common` (shared options, errors, the store a verb
opens), `output`, and one module of verbs per room: `submissions`, `scoring`, `taxonomy`, `publication`,
`serve`.
May import: everything; nothing imports it.
"""

"""KS's national SDG taxonomy: imported as published, checked, and repaired by data, never edited.

Each published file goes unchanged into its own named graph (`graph/taxonomy/{source}`); defects are
found by `shapes/taxonomy.ttl` and repaired by the rows of `data/taxonomy/repairs.tsv` into
`graph/taxonomy/repair`, so queries and shapes can tell a repaired defect from an open one. The facet
search sorts and filters KPIs by SDG goal, target and relevance to a municipality.

Owns: `sources`, `repair`, `defects`, `search`.
May import: `submissions` (reading a user's RDF, SHACL runs), `catalogue` and the foundations; not
`scoring` or `publication`, its peers.
"""

"""The registry as a static linked-data release a statistics bureau can mirror: RDF dumps of each dataset,
the observations as CSV + CSVW and JSON-stat 2.0, a DCAT-AP-NO catalogue, VoID and checksums, rendered
deterministically and checked against Data Cube IC-1 … IC-21 before anything is written.

Owns: `cube` (normalisation, integrity constraints), `datasets`, `serialise`, `tables`, `jsonstat`,
`describe` (DCAT / VoID), `release` (render and write).
May import: `submissions`, `catalogue` and the foundations; not `scoring` or `taxonomy`, its peers.
"""

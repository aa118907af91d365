"""The U4SSC catalogue as RDF: dimensions, sub-dimensions, categories, KPIs and data points from
`data/catalogue/`, the UN SDG concepts from `data/sdg/`, OWL-RL inference over the ontology and catalogue,
and the catalogue's counts.

Owns: `rdf` (tables → graphs), `infer` (closure − input), `stats`.
May import: the foundations (`namespaces`, `tables`, `sparql`, `store`, `config`) only.
"""
